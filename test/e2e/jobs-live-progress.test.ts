/**
 * Live progress inside tasks, end to end: a 200 MB+ wordcount job whose mappers report while they
 * run, followed over SSE and in the dashboard in headless Chromium.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent, JobRecord } from '../../src/api/native/contract.js';
import { generateText } from '../../src/jobs/index.js';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const BUCKET = 'big';
const OBJECTS = 96;
const BODIES = 8;
const MIB = 1024 * 1024;

let server: TestServer;
let browser: Browser;
const expected = { words: 0, lines: 0, bytes: 0 };

/** Words as `wc -w` counts them: runs of non-whitespace bytes. */
function count(body: Buffer): { words: number; lines: number } {
  let words = 0;
  let lines = 0;
  let inWord = false;
  for (const b of body) {
    const space = b === 0x20 || (b >= 0x09 && b <= 0x0d);
    if (b === 0x0a) lines++;
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return { words, lines };
}

/**
 * Starts the job. Two mappers at a time (fan-out 2 under a concurrency of 3), each pausing 40 ms per
 * 2 MiB read, so the job lasts seconds on any machine and its tasks live long enough to report.
 */
async function submit(): Promise<JobRecord> {
  const spec = {
    mapper: 'wordcount',
    input: { bucket: BUCKET, prefix: 'docs/' },
    fanout: 2,
    concurrency: 3,
    pace: { chunkBytes: 2 * MIB, delayMs: 40 },
  };
  const res = await fetch(`${server.url}/_lambdata/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as JobRecord;
}

/** Every event of a job over its SSE stream, to the end. */
async function followEvents(id: string): Promise<JobEvent[]> {
  const res = await fetch(`${server.url}/_lambdata/jobs/${id}/events`);
  const events: JobEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const data = buffer
        .slice(0, end)
        .split('\n')
        .find((l) => l.startsWith('data: '));
      if (data) events.push(JSON.parse(data.slice(6)) as JobEvent);
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
    }
  }
  return events;
}

const liveBytes = (e: JobEvent) => e.counters.bytes + (e.counters.running?.bytes ?? 0);

beforeAll(async () => {
  server = await startTestServer('live-progress');
  const engine = server.engine;
  engine.objects.createBucket(BUCKET);
  const bodies = Array.from({ length: BODIES }, (_, i) =>
    generateText({ seed: 500 + i, bytes: (1.6 + i * 0.2) * MIB }),
  );
  const figures = bodies.map(count);
  for (let i = 0; i < OBJECTS; i++) {
    const body = bodies[i % BODIES] as Buffer;
    await engine.objects.putObject(BUCKET, `docs/doc-${String(i).padStart(3, '0')}.txt`, body);
    expected.words += figures[i % BODIES]?.words ?? 0;
    expected.lines += figures[i % BODIES]?.lines ?? 0;
    expected.bytes += body.length;
  }
  expect(expected.bytes).toBeGreaterThan(200 * MIB);
  await engine.jobs.deployBuiltins();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('live progress of a 200 MB+ job', () => {
  it('moves counters while tasks run, never double counts, and reports an honest rate', async () => {
    const job = await submit();
    const events = await followEvents(job.id);
    const end = events.at(-1) as JobEvent;
    expect(end.type).toBe('job.completed');
    if (end.type !== 'job.completed') return;
    expect(end.result.totals).toEqual(expected);
    expect(end.counters.running).toEqual({ bytes: 0, words: 0, lines: 0, keys: 0 });

    // In-task progress: the live byte count rises at least three times before any task commits.
    const firstCommit = events.findIndex((e) => e.type === 'task.done');
    let rises = 0;
    for (let i = 1; i < firstCommit; i++)
      if (liveBytes(events[i] as JobEvent) > liveBytes(events[i - 1] as JobEvent)) rises++;
    expect(rises).toBeGreaterThanOrEqual(3);

    // Provisional figures never push a counter past the truth, and the live count never goes back.
    let previous = 0;
    for (const e of events) {
      const c = e.counters;
      expect(liveBytes(e)).toBeLessThanOrEqual(expected.bytes);
      expect(c.words + (c.running?.words ?? 0)).toBeLessThanOrEqual(expected.words);
      expect(c.keysDone + (c.running?.keys ?? 0)).toBeLessThanOrEqual(OBJECTS);
      expect(liveBytes(e)).toBeGreaterThanOrEqual(previous);
      previous = liveBytes(e);
    }

    // The rate is measured over windows: no point above three times the job's overall rate.
    const overall = expected.bytes / (end.cost.wallMs / 1000);
    const rates = events.flatMap((e) => (e.type === 'progress' ? [e.bytesPerSecond] : []));
    expect(rates.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...rates)).toBeLessThanOrEqual(3 * overall);

    // Per-object figures stream before the end (provisional ones while tasks run), every object's committed.
    const provisional = events.filter((e) => e.type === 'object.result' && e.provisional);
    expect(provisional.length).toBeGreaterThan(0);
    expect(events.indexOf(provisional[0] as JobEvent)).toBeLessThan(events.length - 1);
    const committed = new Map(
      events.flatMap((e) => (e.type === 'object.result' && !e.provisional ? [[e.key, e.counts] as const] : [])),
    );
    expect(committed.size).toBe(OBJECTS);
    for (const e of provisional) if (e.type === 'object.result') expect(e.counts).toEqual(committed.get(e.key));
  }, 180_000);

  it('shows the job live in Chromium: counters rise, the scatter fills in, the chart has no spike', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    // Records every change of the bytes card, the status and the number of scatter points, from the first paint.
    await page.addInitScript(() => {
      const seen: Array<{ bytes: string; status: string; points: number }> = [];
      (window as unknown as { seen: typeof seen }).seen = seen;
      const record = () => {
        const bytes = document.getElementById('counter-bytes')?.title ?? '';
        const status = document.getElementById('job-status')?.textContent ?? '';
        const points = document.querySelectorAll('#scatter circle.point').length;
        const last = seen.at(-1);
        if (!last || last.bytes !== bytes || last.status !== status || last.points !== points)
          seen.push({ bytes, status, points });
      };
      new MutationObserver(record).observe(document, { subtree: true, childList: true, attributes: true });
    });
    const job = await submit();
    await page.goto(`${server.url}/_lambdata/ui/#/jobs/${job.id}`);
    await expect.poll(() => page.locator('#job-status').textContent(), { timeout: 120_000 }).toBe('succeeded');
    const seen = (await page.evaluate('window.seen')) as Array<{ bytes: string; status: string; points: number }>;
    const running = seen.filter((s) => s.status === 'running' && s.bytes);
    const byteValues = running.map((s) => Number(s.bytes.split(' / ')[0]?.replace(/,/g, '')));
    const rises = byteValues.filter((v, i) => i > 0 && v > (byteValues[i - 1] as number)).length;
    expect(rises).toBeGreaterThanOrEqual(3);
    // The scatter fills in while the job runs, then holds one point per object.
    expect(running.some((s) => s.points > 0 && s.points < OBJECTS)).toBe(true);
    await expect.poll(() => page.locator('#scatter circle.point').count()).toBe(OBJECTS);
    // No chart point above three times the job's overall rate.
    const record = (await (await fetch(`${server.url}/_lambdata/jobs/${job.id}`)).json()) as JobRecord;
    const overallMiB = expected.bytes / MIB / ((record.cost?.wallMs ?? 1) / 1000);
    const peak = Number(await page.locator('#throughput .chart-note').getAttribute('data-peak'));
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(3 * overallMiB);
    expect(await page.locator('#counter-bytes').getAttribute('title')).toBe(
      `${expected.bytes.toLocaleString('en-US')} / ${expected.bytes.toLocaleString('en-US')} bytes`,
    );
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);

  it('says a job that does not exist is not found, instead of loading forever', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/_lambdata/ui/#/jobs/j-missing`);
    await expect.poll(() => page.locator('#job-status').textContent()).toBe('not found');
    await page.close();
  });

  it('fits a phone: the jobs table and the object browser stay within 390 px; folders have a drawn icon', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(`${server.url}/_lambdata/ui/#/jobs`);
    await expect.poll(() => page.locator('#jobs-list table').count()).toBe(1);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.goto(`${server.url}/_lambdata/ui/#/objects/${BUCKET}`);
    const folder = page.locator('a.prefix', { hasText: 'docs/' });
    await expect.poll(() => folder.count()).toBe(1);
    expect(await folder.locator('svg.icon.folder path').count()).toBe(1);
    expect(await folder.textContent()).not.toContain('\u{1F4C1}');
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await page.close();
  });

  it('lists a job started elsewhere live, without a reload', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/_lambdata/ui/#/jobs`);
    await expect.poll(() => page.locator('#jobs-list table').count()).toBe(1);
    const res = await fetch(`${server.url}/_lambdata/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mapper: 'wordcount', input: { bucket: BUCKET, prefix: 'docs/doc-00' } }),
    });
    const job = (await res.json()) as JobRecord;
    const row = page.locator('#jobs-list tr', { hasText: job.id });
    await expect.poll(() => row.count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => row.locator('.status').textContent(), { timeout: 60_000 }).toBe('succeeded');
    await page.close();
  }, 90_000);
});
