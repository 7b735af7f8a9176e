/**
 * What the engine writes for itself is gone for good on a bucket with versioning, through `lambdata
 * serve` as its own process, the `lambdata` CLI and the AWS SDK: a job's shuffle files, what
 * `lambdata jobs delete` and retention delete, and a view recompute's per-task objects leave neither
 * old versions nor delete markers, while outputs and the user's own objects keep every version. An
 * object written under a finished recompute's prefix after it ended (as a map task left running by a
 * cascade that failed may write) is deleted by the view's next recompute. A dataset's retention deletes its
 * expired master objects with every version.
 */

import { CreateStreamCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetInfo, JobRecord } from '../../src/api/native/contract.js';
import { generateText } from '../../src/jobs/index.js';
import { refFreq } from '../fixtures/jobs/reference.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runLambdata } from '../helpers/cli.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const BOOKS = 'vbooks';
const LAKE = 'vlake';
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 4, 1, 8);
const bodies = Array.from({ length: 4 }, (_, i) => generateText({ seed: 710 + i, bytes: 30_000 }));

let serve: ServeProcess;
let s3: S3Client;

beforeAll(async () => {
  serve = await startServe('jobs-versioned', { args: ['--keep-job-runs', '1'] });
  s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: serve.url, forcePathStyle: true });
  for (const bucket of [BOOKS, LAKE]) {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
  }
  for (const [i, body] of bodies.entries())
    await s3.send(new PutObjectCommand({ Bucket: BOOKS, Key: `in/${i}.txt`, Body: body }));
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await serve?.close();
});

/** Every version and delete marker under a prefix, as `key` or `key (marker)`, sorted. */
async function versionsUnder(bucket: string, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  for (;;) {
    const page = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker, VersionIdMarker }),
    );
    for (const v of page.Versions ?? []) found.push(v.Key as string);
    for (const m of page.DeleteMarkers ?? []) found.push(`${m.Key} (marker)`);
    if (!page.IsTruncated) return found.sort();
    KeyMarker = page.NextKeyMarker;
    VersionIdMarker = page.NextVersionIdMarker;
  }
}

/** Every version and delete marker under a prefix, as DeleteObjects takes them. */
async function versionIds(bucket: string, prefix: string): Promise<Array<{ Key: string; VersionId: string }>> {
  const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix }));
  return [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map((v) => ({
    Key: v.Key as string,
    VersionId: v.VersionId as string,
  }));
}

async function cli(...args: string[]): Promise<string> {
  const out = await runLambdata(serve.url, ...args);
  expect(out.code, `${args.join(' ')}: ${out.stderr}`).toBe(0);
  return out.stdout;
}

async function run(...args: string[]): Promise<JobRecord> {
  return JSON.parse(await cli('run', ...args, '--json')) as JobRecord;
}

async function until(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Writes `key` twice: two versions, as a retried write leaves. */
async function writeTwice(bucket: string, key: string): Promise<void> {
  for (const body of ['late', 'later']) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

describe('sweeps on a bucket with versioning', () => {
  it('a job run, jobs delete and retention delete intermediates for good, and keep outputs and user objects', async () => {
    const first = await run('wordfreq', `s3://${BOOKS}/in/`, '--partitions', '3');
    expect(first.status).toBe('succeeded');
    const outputs = (job: JobRecord) => [...(job.result?.output?.keys ?? []), job.result?.output?.summaryKey].sort();
    expect(first.result?.output?.keys).toHaveLength(3);
    // The mappers' partition files are gone with their versions: no delete marker stands for them.
    expect(await versionsUnder(BOOKS, `_jobs/${first.id}/`)).toEqual(outputs(first));

    // What a backup attempt still running at the end of its stage may write, beside the user's own object.
    const late = `_jobs/${first.id}/map/m0.1-a7/part-00002`;
    const mine = `_jobs/${first.id}/map/notes.txt`;
    await writeTwice(BOOKS, late);
    await writeTwice(BOOKS, mine);
    // One run kept per kind: the second wordfreq run's end deletes the first run, and what it left.
    const second = await run('wordfreq', `s3://${BOOKS}/in/`, '--partitions', '3');
    await until(async () => !(await cli('jobs', 'ls', '--json')).includes(first.id));
    expect(await versionsUnder(BOOKS, `_jobs/${first.id}/`)).toEqual([...outputs(first), mine, mine].sort());

    await writeTwice(BOOKS, `_jobs/${second.id}/results/m1-a3.json`);
    expect(await cli('jobs', 'delete', second.id)).toBe(`deleted ${second.id}\n`);
    expect(await versionsUnder(BOOKS, `_jobs/${second.id}/`)).toEqual(outputs(second));
    // The user's input keeps its single version.
    expect(await versionsUnder(BOOKS, 'in/')).toEqual(bodies.map((_, i) => `in/${i}.txt`));
    const counted = new Map<string, number>();
    for (const key of second.result?.output?.keys ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: BOOKS, Key: key }));
      const text = (await got.Body?.transformToString()) ?? '';
      for (const line of text.split('\n').filter(Boolean)) {
        const [word, n] = line.split('\t') as [string, string];
        counted.set(word, Number(n));
      }
    }
    expect(counted).toEqual(refFreq(bodies));
  }, 180_000);

  it('a view recompute deletes its per-task objects for good, and the next one what was written after it ended', async () => {
    const kinesis = new KinesisClient({ ...AWS_TEST_CONFIG, endpoint: serve.url });
    try {
      await kinesis.send(new CreateStreamCommand({ StreamName: 'events', ShardCount: 2 }));
      await cli('dataset', 'create', 'ev', '--stream', 'events', '--bucket', LAKE);
      const records = Array.from({ length: 80 }, (_, n) => ({
        Data: Buffer.from(
          JSON.stringify({
            id: `e${n}`,
            text: `sun w${n % 7}`,
            created_at: new Date(T0 + n * 0.1 * HOUR).toISOString(),
          }),
        ),
        PartitionKey: `p${n % 5}`,
      }));
      const put = await kinesis.send(new PutRecordsCommand({ StreamName: 'events', Records: records }));
      expect(put.FailedRecordCount ?? 0).toBe(0);
    } finally {
      kinesis.destroy();
    }
    await until(async () => {
      const datasets = JSON.parse(await cli('dataset', 'ls', '--json')) as DatasetInfo[];
      return datasets.find((d) => d.name === 'ev')?.events === 80;
    });
    const masters = await versionsUnder(LAKE, 'master/');
    expect(masters.length).toBeGreaterThan(0);
    await cli('views', 'create', 'words', '--dataset', 'ev', '--view', 'word-count-hourly');

    const started = await cli('views', 'recompute', 'words', '--wait');
    const jobId = /\(job (\S+)\)/.exec(started)?.[1] as string;
    expect(jobId).toBeTruthy();
    expect(await versionsUnder(LAKE, 'views/')).toEqual([]);
    // Every hour before the last is in the batch version: 10 events an hour hold 'sun'.
    const answer = JSON.parse(
      await cli('views', 'query', 'words', 'sun', '--from', String(T0), '--to', String(T0 + HOUR), '--json'),
    ) as { value: number; batch: { value: number } };
    expect(answer.batch.value).toBe(10);

    // A per-task object written under that recompute's prefix after it ended.
    const job = JSON.parse(await cli('jobs', 'show', jobId, '--json')) as JobRecord;
    const prefix = job.spec.output?.prefix as string;
    expect(prefix).toMatch(/^views\/words\//);
    await writeTwice(LAKE, `${prefix}map/m0-a2`);
    // The user's own object beside the recompute jobs' folders is not the engine's to delete.
    await writeTwice(LAKE, 'views/words/notes.txt');
    await cli('views', 'recompute', 'words', '--wait');
    expect(await versionsUnder(LAKE, 'views/')).toEqual(['views/words/notes.txt', 'views/words/notes.txt']);
    await s3.send(new DeleteObjectsCommand({ Bucket: LAKE, Delete: { Objects: await versionIds(LAKE, 'views/') } }));
    // The master dataset is untouched.
    expect(await versionsUnder(LAKE, 'master/')).toEqual(masters);
  }, 180_000);

  it('a recompute spares the objects of a job of its view still running (one resumed after a restart)', async () => {
    for (let i = 0; i < 2; i++)
      await s3.send(new PutObjectCommand({ Bucket: BOOKS, Key: `slow/${i}.txt`, Body: bodies[i]?.slice(0, 20_000) }));
    // A job writing under the view's prefix, as a recompute job resumed after a restart does; it reads
    // 4 KB a second, so it runs through the recompute below.
    const prefix = 'views/words/v99-1/';
    const res = await fetch(`${serve.url}/_lambdata/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        mapper: 'wordcount',
        input: { bucket: BOOKS, prefix: 'slow/' },
        output: { bucket: LAKE, prefix },
        splitSize: 20_000,
        taskSize: 20_000,
        pace: { chunkBytes: 4_000, delayMs: 1_000 },
      }),
    });
    expect(res.status).toBe(201);
    const slow = (await res.json()) as JobRecord;
    await writeTwice(LAKE, `${prefix}map/m0-a1`);
    await cli('views', 'recompute', 'words', '--wait');
    expect((JSON.parse(await cli('jobs', 'show', slow.id, '--json')) as JobRecord).status).toBe('running');
    expect(await versionsUnder(LAKE, 'views/')).toEqual([`${prefix}map/m0-a1`, `${prefix}map/m0-a1`]);
    // Once it has ended, the next recompute deletes what it left.
    await cli('jobs', 'follow', slow.id);
    await cli('views', 'recompute', 'words', '--wait');
    expect(await versionsUnder(LAKE, 'views/')).toEqual([]);
  }, 180_000);

  it("a dataset's retention deletes its master objects for good", async () => {
    const kinesis = new KinesisClient({ ...AWS_TEST_CONFIG, endpoint: serve.url });
    try {
      await kinesis.send(new CreateStreamCommand({ StreamName: 'aged', ShardCount: 1 }));
      await cli('dataset', 'create', 'aged', '--stream', 'aged', '--bucket', LAKE, '--retention-days', '1');
      // Events of months ago: past the retention once archived, deleted at the next sweep (every 10 s).
      const records = Array.from({ length: 20 }, (_, n) => ({
        Data: Buffer.from(JSON.stringify({ id: `a${n}`, created_at: new Date(T0 + n * HOUR).toISOString() })),
        PartitionKey: `p${n}`,
      }));
      const put = await kinesis.send(new PutRecordsCommand({ StreamName: 'aged', Records: records }));
      expect(put.FailedRecordCount ?? 0).toBe(0);
    } finally {
      kinesis.destroy();
    }
    await until(async () => {
      const datasets = JSON.parse(await cli('dataset', 'ls', '--json')) as DatasetInfo[];
      return datasets.find((d) => d.name === 'aged')?.events === 20;
    });
    await until(async () => {
      const datasets = JSON.parse(await cli('dataset', 'ls', '--json')) as DatasetInfo[];
      return datasets.find((d) => d.name === 'aged')?.objects === 0;
    }, 30_000);
    expect(await versionsUnder(LAKE, 'master/aged/')).toEqual([]);
  }, 120_000);
});
