/**
 * The Views page in headless Chromium, against a real engine: the collector fills a stream, a
 * master dataset archives it, the word-count view shows live values with their batch and speed
 * parts, a query answers with both parts, and a recompute from the page lands and shrinks the
 * speed part without changing the totals.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const SHOTS = join(import.meta.dirname, '../../test-artifacts/screenshots');
const VIEW = 'word-counts';
const HOUR = 3_600_000;

let server: TestServer;
let lambda: LambdaClient;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function native<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}/_lambdata${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
  return answer as T;
}

async function collect(payload: Record<string, unknown>, async = false): Promise<void> {
  const answer = await lambda.send(
    new InvokeCommand({
      FunctionName: 'collector',
      InvocationType: async ? 'Event' : 'RequestResponse',
      Payload: Buffer.from(JSON.stringify({ stream: 'tweets', ...payload })),
    }),
  );
  if (answer.FunctionError) throw new Error(Buffer.from(answer.Payload ?? []).toString());
}

/** The batch and speed parts the page shows for `key` (from the bars' data-value). */
async function parts(p: Page, key: string): Promise<{ batch: number; speed: number }> {
  const bar = p.locator(`[data-view="${VIEW}"] g.bar[data-key="${key}"]`);
  return {
    batch: Number(await bar.locator('rect.batch').getAttribute('data-value')),
    speed: Number(await bar.locator('rect.speed').getAttribute('data-value')),
  };
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startTestServer('views-ui');
  await server.engine.jobs.deployBuiltins(['collector']);
  lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: server.url });
  server.engine.streams.createStream('tweets', { shardCount: 2 });
  await native('POST', '/datasets', { name: 'tweets-master', stream: 'tweets' });
  await native('POST', '/views', { name: VIEW, dataset: 'tweets-master', view: 'word-count-hourly' });
  // Three hours of history, so a recompute has whole hours to move from the speed layer to the batch.
  await collect({ count: 4000, rate: 4000 / (3 * 3600), seed: 7, start: Date.now() - 3 * HOUR });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  page.on('pageerror', (err) => pageErrors.push(err.message));
}, 120_000);

afterAll(async () => {
  expect(pageErrors).toEqual([]);
  lambda?.destroy();
  await browser?.close();
  await server?.close();
});

describe('Views page in a real browser', () => {
  it('shows live word counts that move while tweets flow, and answers a query with its parts', async () => {
    await page.goto(`${server.url}/_lambdata/ui/#/views`);
    const card = page.locator(`[data-view="${VIEW}"]`);
    await expect.poll(() => card.locator('g.bar').count(), { timeout: 15_000 }).toBeGreaterThan(5);
    await expect.poll(() => page.locator('#views-live').textContent()).toBe('live');
    // Before any recompute everything is in the speed layer.
    expect(await card.locator('[data-stat="version"]').textContent()).toBe('none yet');
    const before = await parts(page, 'the');
    expect(before.batch).toBe(0);
    expect(before.speed).toBeGreaterThan(100);
    // Tweets flow for a few seconds: the value the page shows changes more than once, without reloading.
    const seen = new Set<number>([before.speed]);
    const flow = collect({ rate: 60, durationSeconds: 6, seed: 8 }, true);
    await flow;
    await expect
      .poll(
        async () => {
          seen.add((await parts(page, 'the')).speed);
          return seen.size;
        },
        { timeout: 20_000, interval: 250 },
      )
      .toBeGreaterThanOrEqual(3);
    // A query from the page: the merged value equals batch ⊕ speed, and matches the HTTP answer.
    await card.getByRole('textbox', { name: 'Key' }).fill('the');
    await card.getByRole('button', { name: 'Query' }).click();
    const answer = card.locator('.query-answer .answer');
    await expect.poll(() => answer.count()).toBe(1);
    const shown = Number((await answer.locator('[data-part="value"]').textContent())?.replaceAll(',', ''));
    const direct = await native<{ value: number }>('GET', `/views/${VIEW}/query?key=the`);
    expect(shown).toBeLessThanOrEqual(direct.value);
    expect(shown).toBeGreaterThan(before.speed);
    // A range that ends after what every shard has applied is answered, and clearly marked incomplete.
    const tomorrow = new Date(Date.now() + 24 * HOUR - new Date().getTimezoneOffset() * 60_000);
    await card.getByLabel('To', { exact: true }).fill(tomorrow.toISOString().slice(0, 19));
    await card.getByRole('button', { name: 'Query' }).click();
    await expect.poll(() => card.locator('.query-answer .answer.incomplete').count()).toBe(1);
    await expect(card.getByRole('alert').textContent()).resolves.toMatch(
      /^Incomplete: the range ends after the time every shard has been applied up to\. The batch view covers up to .+; the speed layer has applied events up to .+\.$/,
    );
    expect(await card.locator('.query-answer .merged').textContent()).toMatch(/\(incomplete\)$/);
    await card.getByLabel('To', { exact: true }).fill('');
    await page.screenshot({ path: join(SHOTS, 'views.png') });
  }, 60_000);

  it('recomputes from the page: a new batch version lands, the speed part shrinks, the total stays', async () => {
    const card = page.locator(`[data-view="${VIEW}"]`);
    // Let the flow finish (the speed layer applies everything), then take the totals.
    let last = -1;
    await expect
      .poll(
        async () => {
          const { value } = await native<{ value: number }>('GET', `/views/${VIEW}/query?key=the`);
          const stable = value === last;
          last = value;
          return stable;
        },
        { timeout: 20_000, interval: 1_000 },
      )
      .toBe(true);
    await expect
      .poll(async () => {
        const p = await parts(page, 'the');
        return p.batch + p.speed;
      })
      .toBe(last);
    const before = await parts(page, 'the');
    await card.getByRole('button', { name: 'Recompute' }).click();
    await expect.poll(() => card.locator('.recompute-note').textContent()).toMatch(/Recompute started \(job \S+\)/);
    await expect.poll(() => card.locator('[data-stat="version"]').textContent(), { timeout: 60_000 }).toMatch(/^v1 · /);
    await expect.poll(() => card.locator('.recompute-note').textContent()).toMatch(/swapped in/);
    // The bars follow within a moment (the page refetches the top keys after the swap).
    await expect.poll(async () => (await parts(page, 'the')).batch, { timeout: 5_000 }).toBeGreaterThan(0);
    const after = await parts(page, 'the');
    expect(after.speed).toBeLessThan(before.speed);
    expect(after.batch + after.speed).toBe(before.batch + before.speed);
    expect(await card.locator('[data-stat="horizon"]').textContent()).toMatch(/ago\)$/);
    await page.screenshot({ path: join(SHOTS, 'views-recomputed.png') });
    // The datasets table shows the archive's progress.
    const row = page.locator('#datasets tr', { has: page.locator('[data-dataset="tweets-master"]') });
    await expect.poll(() => row.locator('[data-stat="complete-up-to"]').textContent()).toMatch(/ago\)$/);
  }, 90_000);

  it('works on a 390 px phone without horizontal scrolling', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    phone.on('pageerror', (err) => pageErrors.push(err.message));
    await phone.goto(`${server.url}/_lambdata/ui/#/views`);
    await expect
      .poll(() => phone.locator(`[data-view="${VIEW}"] g.bar`).count(), { timeout: 15_000 })
      .toBeGreaterThan(5);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: join(SHOTS, 'views-phone.png'), fullPage: true });
    await phone.close();
  }, 30_000);
});
