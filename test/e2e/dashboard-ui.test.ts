import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { launchChromium } from '../helpers/browser.js';

const here = dirname(fileURLToPath(import.meta.url));
const SHOTS = join(here, '../../test-artifacts/screenshots');
const BUCKET = 'corpus';
const OBJECTS = 40;
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'lambda', 'data', 'stream', 'queue'];

let dataDir: string;
let engine: Engine;
let server: RunningServer;
let browser: Browser;
let page: Page;
const expected = { words: 0, lines: 0, bytes: 0 };
const pageErrors: string[] = [];

/** Deterministic text: object i has i+3 lines of varying length. */
function text(i: number): string {
  const lines: string[] = [];
  for (let l = 0; l < i + 3; l++) {
    const n = ((i * 7 + l * 3) % 11) + 1;
    lines.push(Array.from({ length: n }, (_, w) => WORDS[(i + l + w) % WORDS.length]).join(' '));
  }
  return `${lines.join('\n')}\n`;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const ui = (hash: string) => `${server.url}/_lambdata/ui/#${hash}`;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dataDir = mkdtempSync(join(tmpdir(), 'lambdata-dashboard-'));
  engine = await createEngine({ dataDir });
  server = await startServer(engine, { port: 0 });
  engine.objects.createBucket(BUCKET);
  for (let i = 0; i < OBJECTS; i++) {
    const body = text(i);
    await engine.objects.putObject(BUCKET, `books/book-${String(i).padStart(2, '0')}.txt`, Buffer.from(body));
    expected.words += body.split(/\s+/).filter(Boolean).length;
    expected.lines += body.split('\n').length - 1;
    expected.bytes += Buffer.byteLength(body);
  }
  await engine.objects.putObject(BUCKET, 'other/readme.txt', Buffer.from('not part of the job\n'));
  await engine.functions.create({
    name: 'hello',
    handler: 'index.handler',
    code: { dir: join(here, '../fixtures/dashboard/hello') },
    memoryMb: 256,
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  page.on('pageerror', (err) => pageErrors.push(err.message));
}, 60_000);

afterAll(async () => {
  expect(pageErrors).toEqual([]);
  await browser?.close();
  await server?.close();
  await engine?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('dashboard in a real browser', () => {
  it('runs a scatter wordcount job from the page; counters reach the exact totals, one point per object', async () => {
    await page.goto(ui('/jobs'));
    await page.getByLabel('Bucket').selectOption(BUCKET);
    await page.getByLabel('Prefix').fill('books/');
    await page.getByLabel('Task size (KiB)').fill('2');
    await page.getByLabel('Fan-out').fill('4');
    await page.getByLabel('Scatter mode (one result per object)').check();
    await page.getByRole('button', { name: 'Start job' }).click();
    await page.waitForURL(/#\/jobs\/[^/]+$/);
    await expect.poll(() => page.locator('#job-status').textContent(), { timeout: 30_000 }).toBe('succeeded');
    // Stat cards show human units; the exact figure is on hover (the title).
    await expect.poll(() => page.locator('#counter-words').getAttribute('title')).toBe(fmt(expected.words));
    expect(await page.locator('#counter-lines').getAttribute('title')).toBe(fmt(expected.lines));
    expect(await page.locator('#counter-bytes').getAttribute('title')).toBe(
      `${fmt(expected.bytes)} / ${fmt(expected.bytes)} bytes`,
    );
    expect(await page.locator('#counter-words').textContent()).toMatch(/^[\d.]+K?$/);
    expect(await page.locator('#counter-keys').textContent()).toBe(`${OBJECTS} / ${OBJECTS}`);
    // Task size 2 KiB over ~32 KiB of input: many mapper tasks, all done.
    const [done, dispatched] = ((await page.locator('#counter-tasks').textContent()) ?? '').split(' / ').map(Number);
    expect(done).toBe(dispatched);
    expect(done).toBeGreaterThanOrEqual(8);
    // Keys box is filled all the way once every key is done.
    expect(await page.locator('.counter:has(#counter-keys)').getAttribute('style')).toContain('--fill: 100.0%');
    await expect.poll(() => page.locator('#scatter circle.point').count()).toBe(OBJECTS);
    await page.locator('#scatter circle.point').last().hover(); // the last drawn is on top
    await expect
      .poll(() => page.locator('#scatter .tooltip').textContent())
      .toMatch(/^books\/book-\d\d\.txt — [\d,]+ words, [\d,]+ lines$/);
    expect(await page.locator('#job-totals').textContent()).toContain(`${fmt(expected.words)} words`);
    expect(await page.locator('#job-results table').first().locator('tbody tr').count()).toBe(OBJECTS);
    expect(await page.locator('#job-cost').textContent()).toContain('Lambda vs cluster');
    await page.screenshot({ path: join(SHOTS, 'job.png') });
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await phone.goto(page.url());
    await expect.poll(() => phone.locator('#job-status').textContent(), { timeout: 10_000 }).toBe('succeeded');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: join(SHOTS, 'job-phone.png') });
    await phone.close();
  }, 45_000);

  it('runs wordfreq from the page: the top-words table and the output links', async () => {
    const freq = new Map<string, number>();
    for (let i = 0; i < OBJECTS; i++)
      for (const w of text(i).split(/\s+/).filter(Boolean)) freq.set(w, (freq.get(w) ?? 0) + 1);
    await page.goto(ui('/jobs'));
    await page.getByLabel('Mapper').selectOption('wordfreq');
    await page.getByLabel('Bucket').selectOption(BUCKET);
    await page.getByLabel('Prefix').fill('books/');
    await page.getByRole('button', { name: 'Start job' }).click();
    await page.waitForURL(/#\/jobs\/[^/]+$/);
    await expect.poll(() => page.locator('#job-status').textContent(), { timeout: 30_000 }).toBe('succeeded');
    const top = page.locator('#job-results table', { hasText: 'Top words' });
    expect(await top.locator('caption').textContent()).toBe(`Top words (${freq.size} distinct)`);
    const rows = await top
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)));
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries([...freq].map(([w, c]) => [w, fmt(c)])));
    const links = page.locator('#job-results .outputs a');
    expect(await links.count()).toBeGreaterThan(1);
    const part = await page.request.get(`${server.url}${await links.nth(1).getAttribute('href')}`);
    expect(part.status()).toBe(200);
    expect(await part.text()).toMatch(/^[a-z]+\t\d+$/m);
  }, 40_000);

  it('invokes a function from the form, shows its REPORT figures and the live log tail', async () => {
    engine.functions.publish('hello', 'first');
    const dlq = engine.queues.createQueue('hello-dlq').arn;
    engine.functions.updateConfig('hello', { deadLetterTargetArn: dlq });
    await page.goto(ui('/functions/hello'));
    await expect.poll(() => page.locator('.props').first().textContent()).toContain('256 MB');
    expect(await page.locator('.props').first().textContent()).toContain(`Dead-letter queue${dlq}`);
    // A later test expects this function's failures in the local dead-letter store.
    engine.functions.updateConfig('hello', { deadLetterTargetArn: '' });
    await page.getByLabel('Version').selectOption('1');
    await page.getByLabel('Payload (JSON)').fill('{"name":"dashboard"}');
    await page.getByRole('button', { name: 'Invoke' }).click();
    const report = page.locator('#invoke-result dl.report');
    await report.waitFor();
    expect(await report.locator('[data-figure="Memory Size"]').textContent()).toBe('256 MB');
    expect(await report.locator('[data-figure="Duration"]').textContent()).toMatch(/^\d+\.\d\d ms$/);
    expect(await report.locator('[data-figure="Billed Duration"]').textContent()).toMatch(/^[\d,]+ ms$/);
    expect(await report.locator('[data-figure="Max Memory Used"]').textContent()).toMatch(/^\d+ MB$/);
    expect(await report.locator('[data-figure="Init Duration"]').textContent()).toMatch(/ms|warm/);
    expect(await page.locator('#invoke-result pre.payload').textContent()).toContain('hello dashboard');
    expect(await page.locator('#invoke-result').textContent()).toContain('version 1');
    await expect.poll(() => page.locator('#log-tail').textContent(), { timeout: 10_000 }).toContain('dashboard-marker');
    await expect.poll(() => page.locator('#log-tail').textContent()).toContain('REPORT RequestId');
    await page.screenshot({ path: join(SHOTS, 'function.png'), fullPage: false });
    // Async: the form says it is queued; the live record stream adds the run to the table when it finishes.
    const rowsBefore = await page.locator('main table tbody tr', { hasText: 'api' }).count();
    await page.getByLabel('Payload (JSON)').fill('{"name":"later"}');
    await page.getByLabel('Invocation type').selectOption('Event');
    await page.getByRole('button', { name: 'Invoke' }).click();
    await expect.poll(() => page.locator('#invoke-result').textContent()).toContain('Status 202');
    await expect.poll(() => page.locator('#log-tail').textContent(), { timeout: 10_000 }).toContain('later');
    await expect.poll(() => page.locator('main table tbody tr', { hasText: 'api' }).count()).toBe(rowsBefore + 1);
  }, 30_000);

  it('browses buckets and prefixes, shows object details, uploads and downloads', async () => {
    await page.goto(ui('/objects'));
    await page.getByRole('link', { name: BUCKET }).click();
    await page.getByRole('link', { name: /books\// }).click();
    await page.getByRole('button', { name: 'book-07.txt' }).click();
    const details = page.locator('#object-details');
    await expect.poll(() => details.textContent()).toContain(`${Buffer.byteLength(text(7))} bytes`);
    await page.screenshot({ path: join(SHOTS, 'objects.png') });
    const href = await details.getByRole('link', { name: 'Download' }).getAttribute('href');
    const download = await page.request.get(`${server.url}${href}`);
    expect(await download.text()).toBe(text(7));
    expect(download.headers()['content-disposition']).toContain('book-07.txt');
    await page
      .locator('#upload-file')
      .setInputFiles({ name: 'new.txt', mimeType: 'text/plain', buffer: Buffer.from('uploaded from the page\n') });
    expect(await page.locator('#upload-key').inputValue()).toBe('books/new.txt');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByRole('button', { name: 'new.txt' }).waitFor();
    const stored = engine.objects.headObject(BUCKET, 'books/new.txt');
    expect(stored.size).toBe(23);
  }, 20_000);

  it('shows the live overview, and switches to dark mode with the toggle', async () => {
    await page.goto(ui('/'));
    const invocations = page.locator('.tile', { hasText: 'Invocations' }).nth(1).locator('.value');
    await expect
      .poll(() => page.locator('.tile', { hasText: 'Functions' }).locator('.value').textContent())
      .not.toBe('—');
    const before = Number((await invocations.textContent())?.replace(/,/g, ''));
    await engine.invocations.invoke({ functionName: 'hello', payload: '{}' });
    await expect.poll(() => invocations.textContent(), { timeout: 10_000 }).toBe(fmt(before + 1));
    expect(await page.locator('main table').first().textContent()).toContain('books/');
    await page.screenshot({ path: join(SHOTS, 'overview.png') });
    await page.getByRole('button', { name: 'Toggle dark mode' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(17, 19, 24)');
    await page.screenshot({ path: join(SHOTS, 'overview-dark.png') });
  }, 20_000);

  it('shows async queue depth and the dead-letter store, and replays a dead letter', async () => {
    await page.goto(ui('/dlq'));
    await expect
      .poll(() => page.locator('#queue-depth').textContent())
      .toMatch(/^Async queue depth: \d+ waiting · concurrency \d+ \/ [\d,]+ in use$/);
    expect(await page.locator('main').textContent()).toContain('No dead letters.');
    expect(await page.getByRole('button', { name: 'Replay all' }).isDisabled()).toBe(true);
    // An async event that fails with no retries left becomes a dead letter.
    engine.functions.putEventInvokeConfig('hello', { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 21_600 });
    await engine.invocations.invoke({
      functionName: 'hello',
      payload: '{"fail":"on purpose"}',
      invocationType: 'Event',
    });
    await expect.poll(() => engine.invocations.deadLetters.list().length, { timeout: 10_000 }).toBe(1);
    const [letter] = engine.invocations.deadLetters.list();
    await page.reload();
    const row = page.locator('main table tbody tr');
    await expect.poll(() => row.textContent()).toContain('asked to fail: on purpose');
    await row.getByRole('button', { name: 'Replay' }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain(`Replay ${letter?.id}: 1 replayed.`);
    expect(engine.invocations.deadLetters.list().map((d) => d.id)).not.toContain(letter?.id);
  }, 20_000);

  it('lists streams, queues with their depth, and mappings with their state', async () => {
    engine.streams.createStream('clicks', { shardCount: 2 });
    engine.queues.createQueue('jobs-in');
    await engine.mappings.create({
      functionName: 'hello',
      eventSourceArn: engine.mappings.sourceArn('queue', 'jobs-in'),
      enabled: false,
    });
    await page.goto(ui('/sources'));
    await expect.poll(() => page.locator('#streams').textContent()).toContain('clicks');
    expect(await page.locator('#streams tbody td').nth(1).textContent()).toBe('2');
    await expect.poll(() => page.locator('#queues').textContent()).toContain('jobs-in');
    await expect.poll(() => page.locator('#mappings').textContent()).toContain('sqs: jobs-in');
    expect(await page.locator('#mappings').textContent()).toMatch(/Disabl/);
  });

  it('signs in once with the token (an HttpOnly SameSite=Strict cookie), then fetches and streams with it', async () => {
    const guarded = await startServer(engine, { port: 0, token: 'sesame' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const tab = await context.newPage();
      const first = await tab.goto(`${guarded.url}/_lambdata/ui/#/functions/hello`);
      expect(first?.status()).toBe(401);
      await tab.getByLabel('Token').fill('wrong');
      await tab.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => tab.textContent('body')).toContain('not this server');
      await tab.getByLabel('Token').fill('sesame');
      await tab.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => tab.locator('.props').first().textContent()).toContain('256 MB');
      expect(tab.url()).not.toContain('sesame');
      const [cookie] = await context.cookies(`${guarded.url}/_lambdata/ui/`);
      expect(cookie).toMatchObject({
        name: 'lambdata_session',
        httpOnly: true,
        sameSite: 'Strict',
        path: '/_lambdata',
      });
      expect(cookie?.value).not.toContain('sesame');
      expect(await tab.evaluate(() => document.cookie)).toBe('');
      // The live record stream (EventSource, same origin) carries the cookie and delivers a new invocation.
      await engine.invocations.invoke({ functionName: 'hello', payload: '{"name":"guarded"}' });
      await expect.poll(() => tab.locator('#log-tail').textContent(), { timeout: 10_000 }).toContain('guarded');
    } finally {
      await context.close();
      await guarded.close();
    }
  }, 30_000);

  it('stays responsive through a burst of 10,000 object results (one point each, batched per frame)', async () => {
    const n = 10_000;
    const counters = (done: number) => ({
      keysDone: done,
      keysTotal: n,
      bytesTotal: n * 100,
      tasksDispatched: 100,
      tasksDone: Math.floor(done / 100),
      tasksRetried: 0,
      words: done * 10,
      lines: done * 2,
      bytes: done * 100,
      invocations: 1,
      billedMs: done,
      costUsd: done * 1e-9,
    });
    const events: string[] = [];
    let seq = 0;
    const send = (type: string, body: Record<string, unknown>, done: number) => {
      seq++;
      events.push(
        `id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify({ jobId: 'j-big', seq, at: 1_000 + seq, type, counters: counters(done), ...body })}\n\n`,
      );
    };
    send(
      'job.started',
      { spec: { mapper: 'wordcount', input: { bucket: BUCKET }, mode: 'scatter' }, resumed: false },
      0,
    );
    for (let i = 1; i <= n; i++)
      send(
        'object.result',
        { key: `big/${i}.txt`, counts: { words: (i % 97) * 10, lines: (i % 89) * 2, bytes: 100 } },
        i,
      );
    const tab = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    try {
      await tab.route('**/_lambdata/jobs/j-big/events', (route) =>
        route.fulfill({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: events.join('') }),
      );
      const record = {
        id: 'j-big',
        status: 'running',
        spec: { mapper: 'wordcount', input: { bucket: BUCKET }, mode: 'scatter' },
        createdAt: 1_000,
        finishedAt: null,
        counters: counters(0),
        result: null,
        cost: null,
        error: null,
        stages: [],
      };
      await tab.route('**/_lambdata/jobs/j-big', (route) => route.fulfill({ status: 200, json: record }));
      const started = Date.now();
      await tab.goto(ui('/jobs/j-big'));
      await expect.poll(() => tab.locator('#scatter circle.point').count(), { timeout: 15_000 }).toBe(n);
      const elapsed = Date.now() - started;
      expect(await tab.locator('#counter-keys').textContent()).toBe('10K / 10K');
      expect(await tab.locator('#counter-keys').getAttribute('title')).toBe('10,000 / 10,000');
      expect(await tab.locator('#counter-words').getAttribute('title')).toBe(fmt(n * 10));
      // The page still answers promptly after the burst.
      const t0 = Date.now();
      await tab.evaluate(() => new Promise((resolve) => requestAnimationFrame(resolve)));
      expect(Date.now() - t0).toBeLessThan(1_000);
      expect(elapsed).toBeLessThan(10_000);
    } finally {
      await tab.close();
    }
  }, 30_000);
});
