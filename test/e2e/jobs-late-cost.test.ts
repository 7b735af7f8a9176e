/**
 * A job's cost report counts every invocation it started: a straggler's original attempt that is still
 * running when its backup has won (and the job has ended) is billed when it ends, and the report takes
 * it in then. Through `lambdata serve` as its own process, the CLI and the native API.
 */
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  BillingAnswer,
  CostReport,
  InvocationsAnswer,
  JobEvent,
  JobRecord,
} from '../../src/api/native/contract.js';
import { launchChromium } from '../helpers/browser.js';
import { runLambdata } from '../helpers/cli.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const SLOW_DIR = fileURLToPath(new URL('../fixtures/jobs/slow-first/', import.meta.url));
const BUCKET = 'late';
const MAPPER = 'slow-first';

let serve: ServeProcess;

async function cli(...args: string[]) {
  return runLambdata(serve.url, ...args);
}

async function show(id: string): Promise<JobRecord> {
  const r = await cli('jobs', 'show', id, '--json');
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as JobRecord;
}

/** Submits a job of the slow-first mapper over `prefix`, one object per task, and waits for its end. */
async function runSlowJob(prefix: string, slowMs: number): Promise<JobRecord> {
  const res = await fetch(`${serve.url}/_lambdata/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      mapper: MAPPER,
      input: { bucket: BUCKET, prefix },
      fanout: 1,
      taskSize: 1,
      params: { slowMs },
    }),
  });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as JobRecord;
  let job = await show(id);
  for (let i = 0; i < 600 && job.status === 'running'; i++) {
    await new Promise((r) => setTimeout(r, 50));
    job = (await (await fetch(`${serve.url}/_lambdata/jobs/${id}`)).json()) as JobRecord;
  }
  expect(job.status).toBe('succeeded');
  return job;
}

async function events(id: string): Promise<JobEvent[]> {
  const text = await (await fetch(`${serve.url}/_lambdata/jobs/${id}/events`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as JobEvent);
}

/** The invocations of the job's functions the engine recorded since `since`. */
async function invocationsSince(since: number) {
  const { invocations } = (await (
    await fetch(`${serve.url}/_lambdata/invocations?limit=1000`)
  ).json()) as InvocationsAnswer;
  return invocations.filter((i) => i.startedAt >= since && (i.functionName === 'cascade' || i.functionName === MAPPER));
}

async function seed(prefix: string): Promise<void> {
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: serve.url,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  for (const name of ['a.txt', 'b.txt', 'c.txt', 'slow.txt'])
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}${name}`, Body: `the words of ${name}\n` }));
  s3.destroy();
}

beforeAll(async () => {
  serve = await startServe('jobs-late-cost');
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: serve.url,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  s3.destroy();
  const deployed = await cli('deploy', MAPPER, SLOW_DIR, '--handler', 'index.handler', '--timeout', '60');
  expect(deployed.stderr).toBe('');
  expect(deployed.code).toBe(0);
}, 120_000);

afterAll(async () => {
  await serve?.close();
});

describe('a straggler that outlives its job', () => {
  it('is pending in the cost report at the job’s end, then counted: the final report is the engine’s own bill', async () => {
    await seed('one/');
    let pageCost = '';
    const since = Date.now();
    const job = await runSlowJob('one/', 8000);
    // The backup won, and the original attempt was still running when the job ended.
    const seen = await events(job.id);
    expect(seen.some((e) => e.type === 'task.dispatched' && e.backup)).toBe(true);
    expect(job.cost?.pending).toBe(1);
    const atEnd = await cli('jobs', 'show', job.id);
    expect(atEnd.stdout).toMatch(/not final +1 invocations still running/);
    // The dashboard's job page says the figure is not final, then shows the final one without a reload.
    const browser = await launchChromium();
    const page = await browser.newPage();
    try {
      await page.goto(`${serve.url}/_lambdata/ui/#/jobs/${job.id}`);
      await expect
        .poll(() => page.locator('#job-cost-pending').textContent(), { timeout: 10_000 })
        .toMatch(/^Not final: 1 invocations/);
      await expect.poll(() => page.locator('#job-cost-pending').count(), { timeout: 30_000 }).toBe(0);
      pageCost = (await page.locator('#job-cost').textContent()) ?? '';
    } finally {
      await browser.close();
    }

    let final = await show(job.id);
    for (let i = 0; i < 300 && final.cost?.pending; i++) {
      await new Promise((r) => setTimeout(r, 100));
      final = await show(job.id);
    }
    const cost = final.cost as CostReport;
    expect(cost.pending).toBeUndefined();
    expect(cost.cutOff).toBeUndefined();
    const ran = await invocationsSince(since);
    // Two attempts of the slow task, one of each other task, each in its own cascade.
    expect(ran.filter((i) => i.functionName === MAPPER)).toHaveLength(5);
    expect(cost.invocations).toBe(ran.length);
    expect(cost.billedMs).toBe(ran.reduce((s, i) => s + i.billedDurationMs, 0));
    expect(cost.billedMs).toBeGreaterThan(job.cost?.billedMs ?? 0);
    expect(cost.lambdaUsd).toBeCloseTo(
      ran.reduce((s, i) => s + i.costUsd, 0),
      9,
    );
    // The job's wall time is its own: the stragglers do not lengthen it.
    expect(cost.wallMs).toBe(job.cost?.wallMs);
    expect(final.finishedAt).toBe(job.finishedAt);
    // A second cost event says so, after the completion, with the counters that feed the report.
    const after = await events(job.id);
    const costs = after.filter((e) => e.type === 'cost') as Array<Extract<JobEvent, { type: 'cost' }>>;
    expect(costs).toHaveLength(2);
    expect(costs[0]?.cost.pending).toBe(1);
    expect(costs[1]?.cost).toEqual(cost);
    expect(costs[1]?.counters.invocations).toBe(ran.length);
    expect(after.indexOf(costs[1])).toBeGreaterThan(after.findIndex((e) => e.type === 'job.completed'));
    // The engine's billing ledger of the job's functions agrees.
    const billing = (await (await fetch(`${serve.url}/_lambdata/billing?since=${since}`)).json()) as BillingAnswer;
    const billed = billing.byFunction.filter((f) => f.functionName === 'cascade' || f.functionName === MAPPER);
    expect(cost.invocations).toBe(billed.reduce((n, f) => n + f.invocations, 0));
    expect(cost.billedMs).toBe(billed.reduce((n, f) => n + f.billedMs, 0));
    const shown = await cli('jobs', 'show', job.id);
    expect(shown.stdout).not.toMatch(/not final/);
    expect(shown.stdout).toMatch(new RegExp(`invocations +${ran.length}\\n`));
    expect(pageCost).toContain(`${ran.length} invocations, ${cost.billedMs.toLocaleString('en-US')} ms`);
  }, 120_000);

  it('counts a pipeline stage’s straggler in the stage’s and the pipeline’s cost once it ends', async () => {
    await seed('pipe/');
    const since = Date.now();
    const res = await fetch(`${serve.url}/_lambdata/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        input: { bucket: BUCKET, prefix: 'pipe/' },
        stages: [{ mapper: MAPPER, fanout: 1, taskSize: 1, params: { slowMs: 8000 } }, { mapper: 'wordcount' }],
      }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as JobRecord;
    let job = await show(id);
    for (let i = 0; i < 600 && job.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = await show(id);
    }
    expect(job.status).toBe('succeeded');
    expect(job.cost?.pending).toBe(1);
    let final = job;
    for (let i = 0; i < 300 && final.cost?.pending; i++) {
      await new Promise((r) => setTimeout(r, 100));
      final = await show(id);
    }
    expect(final.cost?.pending).toBeUndefined();
    const ran = (await invocationsSince(since)).concat(
      (
        (await (await fetch(`${serve.url}/_lambdata/invocations?limit=1000`)).json()) as InvocationsAnswer
      ).invocations.filter((i) => i.startedAt >= since && i.functionName === 'wordcount'),
    );
    expect(final.cost?.invocations).toBe(ran.length);
    expect(final.cost?.billedMs).toBe(ran.reduce((s, i) => s + i.billedDurationMs, 0));
    const stages = final.pipeline ?? [];
    expect(stages[0]?.cost?.pending).toBeUndefined();
    expect(stages.reduce((n, s) => n + (s.cost?.invocations ?? 0), 0)).toBe(ran.length);
  }, 120_000);

  it('closes the report with what was billed when the engine is killed before the straggler ends, counting nothing twice', async () => {
    await seed('two/');
    const job = await runSlowJob('two/', 30_000);
    expect(job.cost?.pending).toBe(1);
    const dir = serve.dir;
    await serve.crash();
    serve = await startServe('jobs-late-cost', { dir });
    const after = await show(job.id);
    expect(after.status).toBe('succeeded');
    expect(after.cost?.pending).toBeUndefined();
    expect(after.cost?.cutOff).toBe(1);
    // The original attempt never answered: its cost is what the job was billed before the stop.
    expect(after.cost?.invocations).toBe(job.cost?.invocations);
    expect(after.cost?.billedMs).toBe(job.cost?.billedMs);
    expect(after.result).toEqual(job.result);
    const shown = await cli('jobs', 'show', job.id);
    expect(shown.stdout).toMatch(/cut off +1 invocations were running when the engine stopped/);
    // Another start finds nothing left to close.
    await serve.crash();
    serve = await startServe('jobs-late-cost', { dir });
    expect((await show(job.id)).cost).toEqual(after.cost);
  }, 120_000);

  it('a stop (SIGTERM) does not wait for the straggler: the report closes with what was billed', async () => {
    await seed('three/');
    const job = await runSlowJob('three/', 30_000);
    expect(job.cost?.pending).toBe(1);
    const dir = serve.dir;
    const stopping = Date.now();
    process.kill(serve.pid, 'SIGTERM');
    while (alive(serve.pid)) await new Promise((r) => setTimeout(r, 50));
    expect(Date.now() - stopping).toBeLessThan(20_000);
    serve = await startServe('jobs-late-cost', { dir });
    const after = await show(job.id);
    expect(after.cost?.pending).toBeUndefined();
    expect(after.cost?.cutOff).toBe(1);
    expect(after.cost?.invocations).toBe(job.cost?.invocations);
  }, 120_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
