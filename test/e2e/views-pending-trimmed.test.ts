/**
 * A batch the speed layer has counted but whose master objects could not be written (the dataset's
 * bucket is gone) must reach the master dataset even when the stream no longer holds its records:
 * serve is killed -9 while the batch is pending, the stream's records are aged past its 24-hour
 * retention (the stream itself then hides and trims them), and after a restart the archive completes
 * the batch from what its first commit journaled. The master dataset gains exactly the batch's events,
 * its refused record reaches the failure destination once, and a full recompute equals a recount.
 */
import { join } from 'node:path';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordsCommand,
  type PutRecordsCommandOutput,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, DeleteBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatasetInfo, QueryAnswer } from '../../src/api/native/contract.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runLambdata } from '../helpers/cli.js';
import { api, until } from '../helpers/native-api.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const BUCKET = 'trimmed-master';
const HOUR = 3_600_000;
const RETENTION_HOURS = 24;

function clients(url: string) {
  return {
    kinesis: new KinesisClient({ ...AWS_TEST_CONFIG, endpoint: url }),
    s3: new S3Client({ ...AWS_TEST_CONFIG, endpoint: url, forcePathStyle: true }),
    sqs: new SQSClient({ ...AWS_TEST_CONFIG, endpoint: url }),
  };
}

function tweet(id: string, text: string, time: number) {
  return { id, user: `u${id}`, text, created_at: new Date(time).toISOString() };
}

/** Word counts of tweets, the way word-count-hourly counts them (lower-case words). */
function recount(tweets: Array<{ text: string }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of tweets) for (const w of t.text.split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** The pending batch's events (three hours ago); a record that is not JSON rides with them. */
function pendingTweets(now: number) {
  return [
    tweet('1', 'alpha beta', now - 3 * HOUR),
    tweet('2', 'alpha gamma', now - 3 * HOUR + 1),
    tweet('3', 'beta', now - 3 * HOUR + 2),
  ];
}

/**
 * Starts serve with a dataset (failure destination: queue `refused`) and a word view, makes the
 * dataset's bucket refuse writes, puts the pending batch, waits for the speed layer to count it while
 * the archive cannot write it, and kills serve -9. Answers the crashed server and the put.
 */
async function pendingBatchThenCrash(prefix: string, now: number) {
  const serve = await startServe(prefix);
  const c = clients(serve.url);
  let put: PutRecordsCommandOutput;
  try {
    await c.kinesis.send(new CreateStreamCommand({ StreamName: 'tw', ShardCount: 1 }));
    await c.sqs.send(new CreateQueueCommand({ QueueName: 'refused' }));
    await api(serve.url, 'POST', '/datasets', {
      name: 'tw',
      stream: 'tw',
      bucket: BUCKET,
      onFailure: 'arn:aws:sqs:us-east-1:000000000000:refused',
    });
    await api(serve.url, 'POST', '/views', { name: 'words', dataset: 'tw', view: 'word-count-hourly' });
    await c.s3.send(new DeleteBucketCommand({ Bucket: BUCKET }));
    const records = [...pendingTweets(now).map((t) => JSON.stringify(t)), 'not json {'];
    put = await c.kinesis.send(
      new PutRecordsCommand({
        StreamName: 'tw',
        Records: records.map((r, i) => ({ Data: Buffer.from(r), PartitionKey: `p${i}` })),
      }),
    );
    expect(put.FailedRecordCount).toBe(0);
    await until(async () => {
      const a = await api<QueryAnswer>(serve.url, 'GET', '/views/words/query?key=alpha');
      return a.value === 2 ? a : undefined;
    }, 'the speed layer to count the pending batch');
    expect((await api<DatasetInfo>(serve.url, 'GET', '/datasets/tw')).events).toBe(0);
  } catch (err) {
    await serve.close();
    throw err;
  } finally {
    for (const client of Object.values(c)) client.destroy();
  }
  await serve.crash();
  return { serve, put, shardId: put.Records?.[0]?.ShardId as string };
}

/** The failure reasons the queue `refused` holds (each message received once). */
async function refusedReasons(url: string, sqs: SQSClient): Promise<string[]> {
  const reasons: string[] = [];
  for (let i = 0; i < 3; i++) {
    const got = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: `${url}/000000000000/refused`,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 60,
      }),
    );
    for (const m of got.Messages ?? []) reasons.push((JSON.parse(m.Body as string) as { reason: string }).reason);
  }
  return reasons;
}

describe('a pending batch', () => {
  let live: ServeProcess | undefined;
  afterEach(async () => {
    await live?.close();
    live = undefined;
  });

  it('whose records the stream trimmed is completed from its journal after a kill -9: the master dataset and a full recompute count it exactly once', async () => {
    const now = Date.now();
    const pending = pendingTweets(now);
    const crashed = await pendingBatchThenCrash('views-trimmed', now);
    const { put, shardId } = crashed;
    let serve = crashed.serve;
    live = serve; // closing it removes the data dir left by the crash

    // Age the pending batch's records past the stream's retention while serve is down.
    const db = new Database(join(serve.dir, 'lambdata.db'));
    try {
      const pendingMarks = db.prepare('SELECT COUNT(*) AS n FROM la_pending').get() as { n: number };
      expect(pendingMarks.n).toBe(1);
      db.prepare('UPDATE kinesis_batches SET arrived = arrived - ?').run((RETENTION_HOURS + 1) * HOUR);
    } finally {
      db.close();
    }
    serve = await startServe('views-trimmed', { dir: serve.dir });
    live = serve;
    const c = clients(serve.url);
    const second = serve.url;
    try {
      // The stream no longer holds the batch's records.
      const iterator = await c.kinesis.send(
        new GetShardIteratorCommand({ StreamName: 'tw', ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const held = await c.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator }));
      expect(held.Records).toEqual([]);

      // The object store accepts writes again, and a later batch arrives an hour ago.
      await c.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      const later = [tweet('4', 'alpha delta', now - HOUR), tweet('5', 'gamma', now - HOUR + 1)];
      const put2 = await c.kinesis.send(
        new PutRecordsCommand({
          StreamName: 'tw',
          Records: later.map((t, i) => ({ Data: Buffer.from(JSON.stringify(t)), PartitionKey: `q${i}` })),
        }),
      );
      const lastSequence = put2.Records?.at(-1)?.SequenceNumber as string;
      const archived = await until(async () => {
        const d = await api<DatasetInfo>(second, 'GET', '/datasets/tw');
        return d.shards[0]?.archivedSequence === lastSequence ? d : undefined;
      }, 'the later batch to be archived');
      // Exactly the pending batch's events plus the later batch's, its refused record counted once.
      expect({ events: archived.events, rejected: archived.rejected }).toEqual({ events: 5, rejected: 1 });
      const listed = await c.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'master/tw/' }));
      const keys = (listed.Contents ?? []).map((o) => o.Key as string);
      expect(keys).toContain(
        `master/tw/${hourPartition(now - 3 * HOUR)}/part-${shardId}-${put.Records?.[0]?.SequenceNumber}.jsonl.gz`,
      );
      expect(keys).toHaveLength(archived.objects);

      // A full recompute over the master dataset (its horizon past the pending batch's hour).
      const re = await runLambdata(second, 'views', 'recompute', 'words', '--wait');
      expect(re.code, re.stderr).toBe(0);
      const expected = recount([...pending, ...later]);
      for (const [word, count] of expected) {
        const answer = await api<QueryAnswer>(second, 'GET', `/views/words/query?key=${word}`);
        expect(answer.batch.horizon).toBeGreaterThan(now - 3 * HOUR);
        expect({ word, value: answer.value, complete: answer.complete }).toEqual({
          word,
          value: count,
          complete: true,
        });
      }
      const pendingHour = await api<QueryAnswer>(
        second,
        'GET',
        `/views/words/query?key=alpha&from=${now - 4 * HOUR}&to=${now - 2 * HOUR}`,
      );
      expect({ batch: pendingHour.batch.value, speed: pendingHour.speed.value }).toEqual({ batch: 2, speed: 0 });

      // The refused record reached the failure destination once.
      expect(await refusedReasons(second, c.sqs)).toEqual([expect.stringMatching(/^InvalidJson: /)]);
    } finally {
      for (const client of Object.values(c)) client.destroy();
    }
  }, 120_000);

  it('marked by a version without a journal is still redone from the stream records', async () => {
    const now = Date.now();
    const crashed = await pendingBatchThenCrash('views-unjournaled', now);
    live = crashed.serve;
    // The database as an earlier version left it: the mark and its applied views, no journal.
    const db = new Database(join(crashed.serve.dir, 'lambdata.db'));
    try {
      const journaled = db.prepare('SELECT COUNT(*) AS n FROM la_pending_objects').get() as { n: number };
      expect(journaled.n).toBe(1);
      db.prepare('DELETE FROM la_pending_objects').run();
      db.prepare('DELETE FROM la_pending_refused').run();
    } finally {
      db.close();
    }
    const serve = await startServe('views-unjournaled', { dir: crashed.serve.dir });
    live = serve;
    const c = clients(serve.url);
    try {
      await c.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
      const done = await until(async () => {
        const d = await api<DatasetInfo>(serve.url, 'GET', '/datasets/tw');
        return d.events > 0 ? d : undefined;
      }, 'the redone batch to be archived');
      expect({ events: done.events, rejected: done.rejected, objects: done.objects }).toEqual({
        events: 3,
        rejected: 1,
        objects: 1,
      });
      expect(done.shards[0]?.archivedSequence).toBe(crashed.put.Records?.at(-1)?.SequenceNumber);
      for (const [word, count] of recount(pendingTweets(now))) {
        const answer = await api<QueryAnswer>(serve.url, 'GET', `/views/words/query?key=${word}`);
        expect({ word, value: answer.value }).toEqual({ word, value: count });
      }
      expect(await refusedReasons(serve.url, c.sqs)).toEqual([expect.stringMatching(/^InvalidJson: /)]);
    } finally {
      for (const client of Object.values(c)) client.destroy();
    }
  }, 90_000);
});

/** `dt=YYYY-MM-DD/hour=HH` of a time. */
function hourPartition(time: number): string {
  const iso = new Date(time).toISOString();
  return `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
}
