import { randomBytes } from 'node:crypto';
import {
  type _Record,
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  type KinesisServiceException,
  ListShardsCommand,
  ListStreamsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  UpdateShardCountCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/index.js';
import type { Engine } from '../../src/engine.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let engine: Engine;
let server: RunningServer;
let kinesis: KinesisClient;

beforeAll(async () => {
  t = await startTestServer('kinesis', { background: false });
  ({ engine, server } = t);
  kinesis = new KinesisClient({
    endpoint: server.url,
    ...AWS_TEST_CONFIG,
    // Default request handler on purpose: the Kinesis client speaks HTTP/2 (h2c) to the engine.
  });
});

afterAll(async () => {
  kinesis?.destroy();
  await t?.close();
});

const text = (r: _Record) => Buffer.from(r.Data ?? new Uint8Array()).toString('utf8');

async function iterator(stream: string, shard: string, type: string, extra: Record<string, unknown> = {}) {
  const out = await kinesis.send(
    new GetShardIteratorCommand({ StreamName: stream, ShardId: shard, ShardIteratorType: type as never, ...extra }),
  );
  return out.ShardIterator as string;
}

describe('kinesis wire API', () => {
  it('creates, describes, lists and deletes streams with errors in Kinesis shape', async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'life', ShardCount: 3 }));
    const dup = await kinesis.send(new CreateStreamCommand({ StreamName: 'life', ShardCount: 1 })).catch((e) => e);
    expect((dup as KinesisServiceException).name).toBe('ResourceInUseException');
    const { StreamDescription: d } = await kinesis.send(new DescribeStreamCommand({ StreamName: 'life' }));
    expect(d?.StreamStatus).toBe('ACTIVE');
    expect(d?.Shards).toHaveLength(3);
    expect(d?.Shards?.[0]?.HashKeyRange?.StartingHashKey).toBe('0');
    expect(d?.Shards?.[2]?.HashKeyRange?.EndingHashKey).toBe(((1n << 128n) - 1n).toString());
    expect(d?.StreamARN).toBe('arn:aws:kinesis:us-east-1:000000000000:stream/life');
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'life' }));
    expect(summary.StreamDescriptionSummary?.OpenShardCount).toBe(3);
    expect(summary.StreamDescriptionSummary?.StreamCreationTimestamp).toBeInstanceOf(Date);
    expect((await kinesis.send(new ListStreamsCommand({}))).StreamNames).toContain('life');
    await kinesis.send(new DeleteStreamCommand({ StreamName: 'life' }));
    const gone = await kinesis.send(new DescribeStreamCommand({ StreamName: 'life' })).catch((e) => e);
    expect((gone as KinesisServiceException).name).toBe('ResourceNotFoundException');
    expect((gone as KinesisServiceException).$metadata.httpStatusCode).toBe(400);
  });

  it('rejects a large batch signed with another secret and stores none of it', async () => {
    engine.streams.createStream('forged', { shardCount: 1 });
    const forger = new KinesisClient({
      endpoint: server.url,
      region: AWS_TEST_CONFIG.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'not-the-secret' },
    });
    try {
      // About 550 KB of body, hashed in full before the signature is checked.
      const Records = Array.from({ length: 200 }, (_, i) => ({ PartitionKey: `k${i}`, Data: randomBytes(2048) }));
      const err = await forger.send(new PutRecordsCommand({ StreamName: 'forged', Records })).catch((e) => e);
      expect((err as KinesisServiceException).name).toBe('InvalidSignatureException');
    } finally {
      forger.destroy();
    }
    expect(engine.streams.shardStats('forged')[0]?.records).toBe(0);
  });

  it('gives back every byte of successive PutRecords batches of different sizes, by sequence number', async () => {
    engine.streams.createStream('bytes', { shardCount: 3 });
    const sent = new Map<string, Buffer>();
    // Large then small then mid-sized batches: each request's data is decoded and packed in reused buffers.
    for (const [count, size] of [
      [300, 3000],
      [7, 10],
      [120, 777],
    ] as const) {
      const entries = Array.from({ length: count }, (_, i) => ({
        PartitionKey: `p-${i % 11}`,
        Data: randomBytes(size - (i % 5)),
      }));
      const put = await kinesis.send(new PutRecordsCommand({ StreamName: 'bytes', Records: entries }));
      put.Records?.forEach((r, i) => {
        sent.set(r.SequenceNumber as string, entries[i]?.Data as Buffer);
      });
    }
    const got = new Map<string, string>();
    for (const shard of engine.streams.listShards('bytes')) {
      let it = await iterator('bytes', shard.shardId, 'TRIM_HORIZON');
      for (;;) {
        const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: it, Limit: 50 }));
        for (const r of out.Records ?? [])
          got.set(r.SequenceNumber as string, Buffer.from(r.Data ?? []).toString('hex'));
        if (!out.Records?.length) break;
        it = out.NextShardIterator as string;
      }
    }
    expect(got.size).toBe(427);
    for (const [seq, data] of sent) expect(got.get(seq)).toBe(data.toString('hex'));
  });

  it('routes the same partition key to the same shard and keeps per-shard order', async () => {
    engine.streams.createStream('orders', { shardCount: 4 });
    const entries = Array.from({ length: 200 }, (_, i) => ({
      PartitionKey: `user-${i % 7}`,
      Data: Buffer.from(`${i % 7}:${i}`),
    }));
    const put = await kinesis.send(new PutRecordsCommand({ StreamName: 'orders', Records: entries }));
    expect(put.FailedRecordCount).toBe(0);
    const shardOfKey = new Map<string, string>();
    put.Records?.forEach((r, i) => {
      const key = entries[i]?.PartitionKey as string;
      expect(shardOfKey.get(key) ?? r.ShardId).toBe(r.ShardId);
      shardOfKey.set(key, r.ShardId as string);
    });
    expect(new Set(shardOfKey.values()).size).toBeGreaterThan(1);
    const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: 'orders' }));
    let total = 0;
    for (const shard of Shards ?? []) {
      const out = await kinesis.send(
        new GetRecordsCommand({ ShardIterator: await iterator('orders', shard.ShardId as string, 'TRIM_HORIZON') }),
      );
      total += out.Records?.length ?? 0;
      const perKey = new Map<string, number>();
      for (const r of out.Records ?? []) {
        const [key, i] = text(r).split(':').map(Number) as [number, number];
        expect(i).toBeGreaterThan(perKey.get(String(key)) ?? -1);
        perKey.set(String(key), i);
        expect(shardOfKey.get(`user-${key}`)).toBe(shard.ShardId);
      }
      const seqs = (out.Records ?? []).map((r) => BigInt(r.SequenceNumber as string));
      expect(seqs).toEqual([...seqs].sort((a, b) => (a < b ? -1 : 1)));
      expect(out.MillisBehindLatest).toBe(0);
    }
    expect(total).toBe(200);
  });

  it('reads with every iterator type and reports MillisBehindLatest', async () => {
    engine.streams.createStream('it', { shardCount: 1 });
    const shard = 'shardId-000000000000';
    const seqs: string[] = [];
    for (const word of ['a', 'b', 'c']) {
      const out = await kinesis.send(
        new PutRecordCommand({ StreamName: 'it', PartitionKey: 'k', Data: Buffer.from(word) }),
      );
      expect(out.ShardId).toBe(shard);
      seqs.push(out.SequenceNumber as string);
    }
    const latest = await iterator('it', shard, 'LATEST');
    const before = await kinesis.send(new GetRecordsCommand({ ShardIterator: latest }));
    expect(before.Records).toEqual([]);
    await kinesis.send(new PutRecordCommand({ StreamName: 'it', PartitionKey: 'k', Data: Buffer.from('d') }));
    const after = await kinesis.send(new GetRecordsCommand({ ShardIterator: before.NextShardIterator as string }));
    expect(after.Records?.map(text)).toEqual(['d']);

    const at = await iterator('it', shard, 'AT_SEQUENCE_NUMBER', { StartingSequenceNumber: seqs[1] });
    expect((await kinesis.send(new GetRecordsCommand({ ShardIterator: at }))).Records?.map(text)).toEqual([
      'b',
      'c',
      'd',
    ]);
    const aft = await iterator('it', shard, 'AFTER_SEQUENCE_NUMBER', { StartingSequenceNumber: seqs[1] });
    expect((await kinesis.send(new GetRecordsCommand({ ShardIterator: aft }))).Records?.map(text)).toEqual(['c', 'd']);
    const ts = await iterator('it', shard, 'AT_TIMESTAMP', { Timestamp: new Date(Date.now() - 60_000) });
    expect((await kinesis.send(new GetRecordsCommand({ ShardIterator: ts }))).Records?.map(text)).toEqual([
      'a',
      'b',
      'c',
      'd',
    ]);
    const future = await iterator('it', shard, 'AT_TIMESTAMP', { Timestamp: new Date(Date.now() + 60_000) });
    expect((await kinesis.send(new GetRecordsCommand({ ShardIterator: future }))).Records).toEqual([]);

    const first = await kinesis.send(
      new GetRecordsCommand({ ShardIterator: await iterator('it', shard, 'TRIM_HORIZON'), Limit: 2 }),
    );
    expect(first.Records?.map(text)).toEqual(['a', 'b']);
    expect(first.MillisBehindLatest).toBeGreaterThanOrEqual(0);
    expect(first.Records?.[0]?.ApproximateArrivalTimestamp).toBeInstanceOf(Date);
    const rest = await kinesis.send(new GetRecordsCommand({ ShardIterator: first.NextShardIterator as string }));
    expect(rest.Records?.map(text)).toEqual(['c', 'd']);
    expect(rest.MillisBehindLatest).toBe(0);

    const bad = await kinesis.send(new GetRecordsCommand({ ShardIterator: 'bm9wZQ==' })).catch((e) => e);
    expect((bad as KinesisServiceException).name).toBe('InvalidArgumentException');
  });

  it('reports MillisBehindLatest while a reader lags', async () => {
    engine.streams.createStream('lag', { shardCount: 1 });
    await kinesis.send(new PutRecordCommand({ StreamName: 'lag', PartitionKey: 'k', Data: Buffer.from('old') }));
    await new Promise((r) => setTimeout(r, 30));
    await kinesis.send(new PutRecordCommand({ StreamName: 'lag', PartitionKey: 'k', Data: Buffer.from('new') }));
    const out = await kinesis.send(
      new GetRecordsCommand({ ShardIterator: await iterator('lag', 'shardId-000000000000', 'TRIM_HORIZON'), Limit: 1 }),
    );
    expect(out.MillisBehindLatest).toBeGreaterThanOrEqual(25);
  });

  it('re-shards with UpdateShardCount: parents close, children inherit, readers drain parents', async () => {
    engine.streams.createStream('scale', { shardCount: 1 });
    await kinesis.send(new PutRecordCommand({ StreamName: 'scale', PartitionKey: 'p', Data: Buffer.from('before') }));
    const out = await kinesis.send(
      new UpdateShardCountCommand({ StreamName: 'scale', TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' }),
    );
    expect(out).toMatchObject({ CurrentShardCount: 1, TargetShardCount: 2 });
    const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: 'scale' }));
    expect(Shards).toHaveLength(3);
    expect(Shards[0]?.SequenceNumberRange?.EndingSequenceNumber).toBeDefined();
    expect(Shards.slice(1).map((s) => s.ParentShardId)).toEqual(['shardId-000000000000', 'shardId-000000000000']);
    const put = await kinesis.send(
      new PutRecordCommand({ StreamName: 'scale', PartitionKey: 'p', Data: Buffer.from('after') }),
    );
    expect(put.ShardId).not.toBe('shardId-000000000000');
    const parent = await kinesis.send(
      new GetRecordsCommand({ ShardIterator: await iterator('scale', 'shardId-000000000000', 'TRIM_HORIZON') }),
    );
    expect(parent.Records?.map(text)).toEqual(['before']);
    expect(parent.NextShardIterator).toBeUndefined();
    expect(parent.ChildShards?.map((c) => c.ShardId).sort()).toEqual(['shardId-000000000001', 'shardId-000000000002']);
    const child = await kinesis.send(
      new GetRecordsCommand({ ShardIterator: await iterator('scale', put.ShardId as string, 'TRIM_HORIZON') }),
    );
    expect(child.Records?.map(text)).toEqual(['after']);
    expect(BigInt(child.Records?.[0]?.SequenceNumber as string)).toBeGreaterThan(
      BigInt(parent.Records?.[0]?.SequenceNumber as string),
    );
  });
});
