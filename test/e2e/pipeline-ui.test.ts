/**
 * A pipeline in the dashboard, in headless Chromium: a 2-stage pipeline started from the CLI appears
 * in the Jobs list as one live entry; its page shows each stage's status, progress, cost and runs and
 * the whole pipeline's totals, and reruns stage 2 from the page (stage 1 is not run again).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/api/native/contract.js';
import { generateText } from '../../src/jobs/index.js';
import { launchChromium } from '../helpers/browser.js';
import { runLambdataIn } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const ui = (hash: string) => `${t.url}/_lambdata/ui/#${hash}`;
const stageRow = (n: number) => page.locator(`#pipeline-stages tr.stage[data-stage="${n}"]`);

beforeAll(async () => {
  t = await startTestServer('pipeline-ui');
  t.engine.objects.createBucket('pipe');
  // Enough input that stage 1 runs for a while after the page opens: its progress must be seen moving.
  for (let i = 0; i < 16; i++)
    await t.engine.objects.putObject('pipe', `in/${i}.txt`, generateText({ seed: 900 + i, bytes: 3 * 1024 * 1024 }));
  await t.engine.jobs.deployBuiltins(['cascade', 'reducer']);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (err) => pageErrors.push(err.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  expect(pageErrors).toEqual([]);
});

describe('pipelines in the dashboard', () => {
  it('shows a CLI-started 2-stage pipeline live as one entry with its stages, and reruns stage 2 from the page', async () => {
    await page.goto(ui('/jobs'));
    await page
      .locator('#jobs-list')
      .getByText(/No jobs yet|Job/)
      .first()
      .waitFor();
    const cli = runLambdataIn(
      t.dir,
      t.url,
      'run',
      fixturePath('jobs/pipeline.mjs'),
      's3://pipe/in/',
      '--partitions',
      '2',
      '--json',
    );

    // The list follows the job feed: the pipeline appears as one entry, its stage runs never on their own.
    const entry = page.locator('#jobs-list .pipeline-cell');
    await entry.first().waitFor({ timeout: 60_000 });
    expect(await entry.count()).toBe(1);
    const link = page.locator('#jobs-list tr:has(.pipeline-cell) a').first();
    const id = (await link.textContent()) ?? '';
    expect(id).toMatch(/^j-/);
    await link.click();

    // Its page: two stages, watched while the pipeline runs, then both succeeded with the totals.
    await stageRow(1).waitFor();
    await expect.poll(() => page.locator('#pipeline-stages tr.stage').count()).toBe(2);
    const statuses = new Set<string>();
    const progress = new Set<string>();
    for (let i = 0; i < 600; i++) {
      for (const n of [1, 2]) {
        statuses.add(`${n}:${await stageRow(n).locator('.status').textContent()}`);
        progress.add(`${n}:${await stageRow(n).locator('.stage-progress').textContent()}`);
      }
      if ((await page.locator('#job-status').textContent()) === 'succeeded') break;
      await page.waitForTimeout(100);
    }
    const result = await cli;
    expect(result.code, result.stderr).toBe(0);
    const job = JSON.parse(result.stdout) as JobRecord;
    expect(job.id).toBe(id);
    // Seen running on the page, then done; stage 1's progress moved through more than one value.
    expect(statuses.has('1:running') || statuses.has('2:running')).toBe(true);
    expect([...progress].filter((p) => p.startsWith('1:') && p !== '1:—').length).toBeGreaterThan(1);
    await expect.poll(() => stageRow(2).locator('.status').textContent(), { timeout: 30_000 }).toBe('succeeded');
    expect(await stageRow(1).locator('.status').textContent()).toBe('succeeded');
    expect(await stageRow(1).locator('td').first().textContent()).toContain(job.pipeline?.[0]?.mapper ?? '?');
    const totals = page.locator('#pipeline-totals');
    expect(await totals.textContent()).toContain('2 stages');
    const stageCosts = await page.locator('#pipeline-stages tr.stage .stage-cost').allTextContents();
    expect(stageCosts.every((c) => c.startsWith('$'))).toBe(true);
    expect(await totals.textContent()).toContain('succeeded');
    const words = job.result?.distinctWords;
    expect(words).toBeGreaterThan(0);

    // Rerun stage 2 from the page: it runs again (runs 2), stage 1 does not (runs 1), same result.
    const rerunAt = Date.now();
    await stageRow(2).getByRole('button', { name: 'Rerun stage 2' }).click();
    await expect
      .poll(
        async () => [
          await stageRow(2).locator('td').nth(5).textContent(),
          await stageRow(2).locator('.status').textContent(),
        ],
        {
          timeout: 120_000,
        },
      )
      .toEqual(['2', 'succeeded']);
    expect(await stageRow(1).locator('td').nth(5).textContent()).toBe('1');
    expect(await page.locator('#job-status').textContent()).toBe('succeeded');
    const again = t.engine.jobs.get(id);
    expect(again.pipeline?.map((s) => s.runs)).toEqual([1, 2]);
    expect(again.result?.distinctWords).toBe(words);
    const [s1, s2] = (again.pipeline ?? []).map((s) => s.mapper);
    expect(t.engine.billing.summary({ functionName: s1, since: rerunAt }).invocations).toBe(0);
    expect(t.engine.billing.summary({ functionName: s2, since: rerunAt }).invocations).toBeGreaterThan(0);
  }, 300_000);
});
