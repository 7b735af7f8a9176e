/**
 * Finished job runs do not pile up, through `lambdata serve` as its own process, the `lambdata` CLI and
 * the AWS SDK: a wordfreq job leaves its outputs and no shuffle files; retention keeps the newest runs
 * of each kind and every running one (`--keep-job-runs`), and at the next start the runs past
 * `--keep-job-days` (but the newest of each kind); `lambdata jobs delete` deletes a finished job and
 * refuses a running or unknown one.
 */

import { execFile } from 'node:child_process';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/api/native/contract.js';
import { generateText } from '../../src/jobs/index.js';
import { refFreq, refTotals } from '../fixtures/jobs/reference.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { LAMBDATA_BIN, runLambdata } from '../helpers/cli.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const BUCKET = 'books';
const bodies = Array.from({ length: 4 }, (_, i) => generateText({ seed: 610 + i, bytes: 30_000 }));
const slowBodies = Array.from({ length: 6 }, (_, i) => generateText({ seed: 620 + i, bytes: 20_000 }));

let serve: ServeProcess;
let s3: S3Client;

beforeAll(async () => {
  serve = await startServe('jobs-retention', { args: ['--keep-job-runs', '2'] });
  s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: serve.url, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const [i, body] of bodies.entries())
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `in/${i}.txt`, Body: body }));
  for (const [i, body] of slowBodies.entries())
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `slow/${i}.txt`, Body: body }));
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await serve?.close();
});

async function keysUnder(prefix: string): Promise<string[]> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key as string).sort();
}

async function run(...args: string[]): Promise<JobRecord> {
  const out = await runLambdata(serve.url, 'run', ...args, '--json');
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as JobRecord;
}

async function listed(): Promise<string[]> {
  const out = await runLambdata(serve.url, 'jobs', 'ls', '--json');
  expect(out.code, out.stderr).toBe(0);
  return (JSON.parse(out.stdout) as JobRecord[]).map((j) => j.id);
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('finished job runs do not pile up', () => {
  const wordfreq: JobRecord[] = [];

  it('a wordfreq job leaves its reduce outputs and summary, and none of its shuffle files', async () => {
    const job = await run('wordfreq', `s3://${BUCKET}/in/`, '--partitions', '3');
    expect(job.status).toBe('succeeded');
    wordfreq.push(job);
    const output = job.result?.output;
    expect(output?.keys).toHaveLength(3);
    // What stays under the job's prefix is exactly what it reports as its output: the mappers' partition
    // files (one per map task and partition while it ran) are gone.
    expect(await keysUnder(`_jobs/${job.id}/`)).toEqual([...(output?.keys ?? []), output?.summaryKey].sort());
    const parts = await Promise.all(
      (output?.keys ?? []).map(async (key) => {
        const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
        return (await got.Body?.transformToString()) ?? '';
      }),
    );
    const counted = new Map(
      parts
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\t') as [string, string])
        .map(([word, n]) => [word, Number(n)]),
    );
    expect(counted).toEqual(refFreq(bodies));
    // Its record and progress history are still there.
    const shown = await runLambdata(serve.url, 'jobs', 'show', job.id);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^words +${refTotals(bodies).words}$`, 'm'));
  }, 120_000);

  it('keeps the newest runs of each kind and every running one; jobs delete refuses a running or unknown job', async () => {
    // A slow wordcount (one 20 KB split per task, read 4 KB a second) runs through everything below.
    const res = await fetch(`${serve.url}/_lambdata/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        mapper: 'wordcount',
        input: { bucket: BUCKET, prefix: 'slow/' },
        splitSize: 20_000,
        taskSize: 20_000,
        fanout: 1,
        concurrency: 2,
        pace: { chunkBytes: 4_000, delayMs: 1_000 },
      }),
    });
    expect(res.status).toBe(201);
    const slow = (await res.json()) as JobRecord;

    for (let i = 0; i < 2; i++) wordfreq.push(await run('wordfreq', `s3://${BUCKET}/in/`));
    const [first, second, third] = wordfreq as [JobRecord, JobRecord, JobRecord];
    // Three wordfreq runs, two kept: the oldest is gone, record and history, but not its outputs.
    await until(async () => !(await listed()).includes(first.id));
    expect(await listed()).toEqual(expect.arrayContaining([second.id, third.id, slow.id]));
    const gone = await runLambdata(serve.url, 'jobs', 'show', first.id);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`Job not found: ${first.id}`);
    expect((await fetch(`${serve.url}/_lambdata/jobs/${first.id}/events`)).status).toBe(404);
    expect(await keysUnder(`_jobs/${first.id}/`)).toEqual(
      [...(first.result?.output?.keys ?? []), first.result?.output?.summaryKey].sort(),
    );

    // Two wordcount runs finish while the slow one runs: with it, three of one kind, and none deleted.
    const quick = [await run('wordcount', `s3://${BUCKET}/in/`), await run('wordcount', `s3://${BUCKET}/in/`)];
    const refused = await runLambdata(serve.url, 'jobs', 'delete', slow.id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ResourceConflictException');
    expect(refused.stderr).toContain(`job ${slow.id} is running`);
    const during = await listed();
    expect(during).toEqual(expect.arrayContaining([slow.id, ...quick.map((j) => j.id)]));

    // Once it ends it is the newest of its kind: the older quick run goes.
    const followed = await runLambdata(serve.url, 'jobs', 'follow', slow.id);
    expect(followed.code, followed.stderr).toBe(0);
    const [older, newer] = quick as [JobRecord, JobRecord];
    await until(async () => !(await listed()).includes(older.id));
    expect(await listed()).toEqual(expect.arrayContaining([slow.id, newer.id, second.id, third.id]));
    const done = (await (await fetch(`${serve.url}/_lambdata/jobs/${slow.id}`)).json()) as JobRecord;
    expect(done.result?.totals).toEqual(refTotals(slowBodies));

    // An explicit delete of a finished job, then of the same and of an unknown id.
    const deleted = await runLambdata(serve.url, 'jobs', 'delete', newer.id);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe(`deleted ${newer.id}\n`);
    expect(await listed()).not.toContain(newer.id);
    for (const id of [newer.id, 'j-no-such-job']) {
      const again = await runLambdata(serve.url, 'jobs', 'delete', id);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(`ResourceNotFoundException: Job not found: ${id}`);
    }
  }, 240_000);

  it('at the next start (even after kill -9) deletes runs past --keep-job-days, but the newest of each kind', async () => {
    const before = await listed();
    expect(before.length).toBeGreaterThanOrEqual(3);
    await serve.crash();
    // 0.00002 days is under 2 s: every finished run is past it by now.
    serve = await startServe('jobs-retention', { dir: serve.dir, args: ['--keep-job-days', '0.00002'] });
    await until(async () => (await listed()).length === 2);
    const kept = await listed();
    const [, , third] = wordfreq as [JobRecord, JobRecord, JobRecord];
    expect(kept).toContain(third.id);
    const jobs = await Promise.all(
      kept.map(async (id) => (await (await fetch(`${serve.url}/_lambdata/jobs/${id}`)).json()) as JobRecord),
    );
    expect(jobs.map((j) => j.spec.mapper).sort()).toEqual(['wordcount', 'wordfreq']);
  }, 120_000);

  it('refuses a retention limit that is not a non-negative number, naming the flag, before it starts', async () => {
    for (const [args, env, message] of [
      [['--keep-job-runs=2.5'], {}, '--keep-job-runs: 2.5 is not a non-negative integer'],
      [[], { LAMBDATA_KEEP_JOB_DAYS: 'soon' }, '--keep-job-days: soon is not a non-negative number'],
    ] as const) {
      const out = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
        execFile(
          process.execPath,
          [LAMBDATA_BIN, 'serve', '--port', '0', '--data-dir', `${serve.dir}-refused`, ...args],
          { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
          (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
        ),
      );
      expect(out.code).toBe(2);
      expect(out.stderr).toContain(message);
    }
  });
});
