/**
 * Kinesis ingest with an event source mapping while the engine is killed with SIGKILL. After the restart
 * every record PutRecords acknowledged is in its shard (GetRecords from TRIM_HORIZON) with its exact data,
 * and is delivered to the function at least once (Kinesis mappings are at-least-once: duplicates are
 * counted, not failed). The function records each batch it sees as an object in S3.
 */
import { randomBytes } from 'node:crypto';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { CreateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { it } from 'vitest';
import { clients, deployFixture } from './clients.js';
import {
  invocationErrors,
  killHard,
  ROUNDS,
  runRounds,
  startRound,
  startServe,
  stopServe,
  type Tally,
  waitFor,
} from './harness.js';

const BUCKET = 'chaos';
const STREAM = 'clicks';
const WRITERS = 3;
const BATCH = 50;

it(`Kinesis PutRecords + mapping: acknowledged records survive kill -9 and reach the function (${ROUNDS} rounds)`, async () => {
  await runRounds(async (round) => ({ tally: await runRound(round) }));
}, 600_000);

async function runRound(round: number): Promise<Tally> {
  const { seed, random, killAtMs, dir, serve: first } = await startRound('streams', 200, round, [300, 2_500]);
  let serve = first;
  let aws = clients(serve.url);
  await aws.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await aws.kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 2 }));
  const summary = await aws.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
  await deployFixture(aws.lambda, 'seen', 'record-batch', { RECORD_BUCKET: BUCKET });
  await aws.lambda.send(
    new CreateEventSourceMappingCommand({
      FunctionName: 'seen',
      EventSourceArn: summary.StreamDescriptionSummary?.StreamARN,
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
    }),
  );

  // Sequence number → data (base64) of every record PutRecords acknowledged.
  const acknowledged = new Map<string, string>();
  let unacknowledged = 0;
  let killed = false;
  let batches = 0;
  const writer = async () => {
    while (!killed) {
      const n = batches++;
      const records = Array.from({ length: BATCH }, (_, i) => ({
        PartitionKey: `k${random.int(0, 999)}`,
        Data: Buffer.from(`b${n}-r${i}-${randomBytes(random.int(0, 48)).toString('hex')}`),
      }));
      try {
        const out = await aws.kinesis.send(new PutRecordsCommand({ StreamName: STREAM, Records: records }));
        out.Records?.forEach((r, i) => {
          const data = records[i]?.Data;
          if (r.SequenceNumber && !r.ErrorCode && data) acknowledged.set(r.SequenceNumber, data.toString('base64'));
          else unacknowledged++;
        });
      } catch (err) {
        if (!killed) throw err;
        unacknowledged += BATCH;
      }
    }
  };
  const writers = Promise.all(Array.from({ length: WRITERS }, writer));
  await new Promise((resolve) => setTimeout(resolve, killAtMs));
  killed = true;
  const orphans = await killHard(serve);
  await writers;
  aws.destroy();

  serve = await startServe(dir.path);
  aws = clients(serve.url);
  const stored = await readStream(aws.kinesis);
  let delivered = new Map<string, string[]>();
  const drained = await waitFor(async () => {
    delivered = await readDeliveries(aws.s3);
    return [...acknowledged.keys()].every((seq) => delivered.has(seq));
  }, 120_000);
  // Let a batch in flight at the moment everything was seen land too, so duplicates are fully counted.
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  delivered = await readDeliveries(aws.s3);
  const errors = drained ? '' : await invocationErrors(serve.url, 'seen');
  aws.destroy();
  await stopServe(serve);

  let missing = 0;
  let undelivered = 0;
  let torn = 0;
  let lost = 0;
  let duplicates = 0;
  for (const [seq, data] of acknowledged) {
    const inStream = stored.get(seq);
    const seen = delivered.get(seq) ?? [];
    if (inStream === undefined) missing++;
    else if (inStream !== data) torn++;
    if (seen.length === 0) undelivered++;
    if (seen.some((d) => d !== data)) torn++;
    if (inStream === undefined || seen.length === 0) lost++;
    duplicates += Math.max(0, seen.length - 1);
  }
  const unackedStored = stored.size - [...acknowledged.keys()].filter((seq) => stored.has(seq)).length;
  if (lost === 0 && torn === 0) dir.remove();
  else process.stdout.write(`streams round ${round}: data dir kept at ${dir.path}\n`);
  return {
    scenario: 'Kinesis PutRecords → mapping (record acknowledged = sequence number; delivery at-least-once)',
    round,
    seed,
    killAtMs,
    acknowledged: acknowledged.size,
    survived: acknowledged.size - lost,
    lost,
    duplicates,
    torn,
    orphans,
    note: `missing from shard ${missing}, never delivered ${undelivered}${drained ? '' : ` (timed out; function errors: ${errors})`}; ${unackedStored}/${unacknowledged} unacked stored`,
  };
}

/** Every record of every shard, from TRIM_HORIZON: sequence number → data (base64). */
async function readStream(kinesis: KinesisClient): Promise<Map<string, string>> {
  const records = new Map<string, string>();
  const shards = await kinesis.send(new ListShardsCommand({ StreamName: STREAM }));
  for (const shard of shards.Shards ?? []) {
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      )
    ).ShardIterator;
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of page.Records ?? []) {
        if (r.SequenceNumber) records.set(r.SequenceNumber, Buffer.from(r.Data ?? []).toString('base64'));
      }
      if ((page.Records ?? []).length === 0 && page.MillisBehindLatest === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return records;
}

/** What the function recorded: sequence number → the data it was given, once per delivery. */
async function readDeliveries(s3: S3Client): Promise<Map<string, string[]>> {
  const seen = new Map<string, string[]>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'seen/', ContinuationToken: token }));
    for (const { Key } of page.Contents ?? []) {
      const body = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key }))).Body?.transformToString();
      for (const r of JSON.parse(body ?? '[]') as Array<{ seq: string; data: string }>) {
        seen.set(r.seq, [...(seen.get(r.seq) ?? []), r.data]);
      }
    }
    token = page.NextContinuationToken;
  } while (token);
  return seen;
}
