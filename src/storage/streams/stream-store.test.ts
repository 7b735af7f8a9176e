import { afterEach, describe, expect, it } from 'vitest';
import { type TestContext, testContext } from '../../../test/helpers/engine-context.js';
import { hasCode } from '../../shared/errors.js';
import { formatSequence, hashKeyOf } from './shard-math.js';
import { StreamStore } from './stream-store.js';

const HOUR = 3_600_000;
const contexts: TestContext[] = [];
afterEach(() => {
  for (const context of contexts.splice(0)) context.dispose();
});

function setup() {
  const context = testContext('streams-unit');
  contexts.push(context);
  const clock = { now: 1_700_000_000_000 };
  return { store: new StreamStore(context, { now: () => clock.now }), clock, context };
}

const put = (store: StreamStore, text: string, key = 'k') =>
  store.putRecord('s', { data: Buffer.from(text), partitionKey: key });
const texts = (store: StreamStore, shard = 'shardId-000000000000') =>
  store.readShard('s', shard, {}, 100).records.map((r) => r.data.toString());

describe('StreamStore', () => {
  it('hides and trims records past the retention period', () => {
    const { store, clock } = setup();
    store.createStream('s');
    put(store, 'old');
    clock.now += 23 * HOUR;
    put(store, 'new');
    expect(texts(store)).toEqual(['old', 'new']);
    clock.now += 2 * HOUR;
    expect(texts(store)).toEqual(['new']);
    expect(store.trim()).toBe(1);
    expect(store.shardStats('s')[0]?.records).toBe(1);
    store.setRetention('s', 48, 'increase');
    clock.now += 30 * HOUR;
    expect(texts(store)).toEqual(['new']);
    expect(() => store.setRetention('s', 72, 'decrease')).toThrowError(/IncreaseRetentionPeriod/);
    expect(() => store.setRetention('s', 12, 'decrease')).toThrowError(/between 24 and 8760/);
  });

  it('routes by MD5 of the partition key and honours explicit hash keys', () => {
    const { store } = setup();
    store.createStream('s', { shardCount: 4 });
    const shards = store.listShards('s');
    for (const key of ['a', 'b', 'c', 'user-17', 'zzz']) {
      const hash = hashKeyOf(key);
      const owner = shards.find((s) => BigInt(s.hashKeyRange.start) <= hash && hash <= BigInt(s.hashKeyRange.end));
      expect(put(store, 'x', key).shardId).toBe(owner?.shardId);
    }
    const top = ((1n << 128n) - 1n).toString();
    expect(store.putRecord('s', { data: Buffer.from('x'), partitionKey: 'a', explicitHashKey: top }).shardId).toBe(
      'shardId-000000000003',
    );
    expect(store.putRecord('s', { data: Buffer.from('x'), partitionKey: 'a', explicitHashKey: '0' }).shardId).toBe(
      'shardId-000000000000',
    );
  });

  it('survives reopening and merges four parents into one child with all parents listed', () => {
    const { store, context } = setup();
    store.createStream('s', { shardCount: 4 });
    put(store, 'one');
    store.updateShardCount('s', 1);
    const reopened = new StreamStore(context);
    const shards = reopened.listShards('s');
    expect(shards).toHaveLength(5);
    const child = shards[4];
    expect(child?.parentShardIds).toHaveLength(4);
    expect(child?.parentShardId).toBe('shardId-000000000000');
    expect(child?.adjacentParentShardId).toBe('shardId-000000000001');
    expect(shards.slice(0, 4).every((s) => s.sequenceNumberRange.end !== undefined)).toBe(true);
    const next = reopened.putRecord('s', { data: Buffer.from('two'), partitionKey: 'k' });
    expect(next.shardId).toBe('shardId-000000000004');
    expect(next.sequenceNumber >= (child?.sequenceNumberRange.start ?? 'z')).toBe(true);
  });

  it('signals appends and rejects bad input with Kinesis codes', () => {
    const { store } = setup();
    store.createStream('s');
    const seen: string[] = [];
    store.appended.subscribe((e) => seen.push(e.shardId));
    put(store, 'x');
    expect(seen).toEqual(['shardId-000000000000']);
    const codes = [
      () => store.createStream('s'),
      () => store.putRecord('s', { data: Buffer.from('x'), partitionKey: '' }),
      () => store.readShard('s', 'shardId-000000000009', {}, 1),
      () => store.readShard('s', 'shardId-000000000000', { after: 'abc' }, 1),
      () => store.describeStream('nope'),
    ].map((f) => {
      try {
        f();
        return 'no error';
      } catch (err) {
        return hasCode(err, (err as { code: string }).code) ? (err as { code: string }).code : String(err);
      }
    });
    expect(codes).toEqual([
      'ResourceInUseException',
      'InvalidArgumentException',
      'ResourceNotFoundException',
      'InvalidArgumentException',
      'ResourceNotFoundException',
    ]);
  });

  it('stores a PutRecords batch per shard and reads it back from any record inside it', () => {
    const { store } = setup();
    store.createStream('s', { shardCount: 4 });
    const input = Array.from({ length: 200 }, (_, i) => ({
      data: Buffer.from(`r${i}`),
      partitionKey: `key-${i % 37}`,
    }));
    const put = store.putRecords('s', input).records as Array<{ shardId: string; sequenceNumber: string }>;
    expect(new Set(put.map((r) => r.sequenceNumber)).size).toBe(200);
    for (const shard of store.listShards('s')) {
      const mine = input.flatMap((r, i) => (put[i]?.shardId === shard.shardId ? [{ ...r, ...put[i] }] : []));
      const seqs = mine.map((r) => r.sequenceNumber);
      expect(seqs).toEqual([...seqs].sort());
      // Reads in pages of 7 split the batch; each page resumes right after the previous one.
      const read: string[] = [];
      let from = {};
      for (;;) {
        const page = store.readShard('s', shard.shardId, from, 7);
        if (page.records.length === 0) break;
        for (const r of page.records) read.push(`${r.sequenceNumber} ${r.partitionKey} ${r.data}`);
        from = page.next;
      }
      expect(read).toEqual(mine.map((r) => `${r.sequenceNumber} ${r.partitionKey} ${r.data}`));
      const middle = mine[Math.floor(mine.length / 2)] as { sequenceNumber: string };
      const at = store.readShard('s', shard.shardId, { at: middle.sequenceNumber }, 1000);
      expect(at.records[0]?.sequenceNumber).toBe(middle.sequenceNumber);
      expect(at.records).toHaveLength(mine.length - Math.floor(mine.length / 2));
    }
    expect(store.shardStats('s').reduce((n, s) => n + s.records, 0)).toBe(200);
  });

  it('moves records stored one per row by an older version into batches, keeping their numbers', () => {
    const { context, clock } = setup();
    const db = context.db;
    new StreamStore(context, { now: () => clock.now }).createStream('s');
    db.exec(`CREATE TABLE kinesis_records (seq INTEGER PRIMARY KEY AUTOINCREMENT, shard INTEGER NOT NULL,
      partition_key TEXT NOT NULL, data BLOB NOT NULL, arrived INTEGER NOT NULL)`);
    const shardKey = db.prepare('SELECT id FROM kinesis_shards').pluck().get();
    const insert = db.prepare('INSERT INTO kinesis_records (shard, partition_key, data, arrived) VALUES (?, ?, ?, ?)');
    for (const text of ['a', 'b', 'c']) insert.run(shardKey, `pk-${text}`, Buffer.from(text), clock.now);
    // The newest old record was trimmed: the counter must still not go back.
    db.prepare('DELETE FROM kinesis_records WHERE partition_key = ?').run('pk-c');
    const before = db.prepare('SELECT seq FROM kinesis_records ORDER BY seq').pluck().all() as number[];
    const store = new StreamStore(context, { now: () => clock.now });
    const read = store.readShard('s', 'shardId-000000000000', {}, 10).records;
    expect(read.map((r) => `${r.partitionKey}=${r.data}`)).toEqual(['pk-a=a', 'pk-b=b']);
    expect(read.map((r) => r.sequenceNumber)).toEqual(before.map((n) => formatSequence(n)));
    const next = store.putRecord('s', { data: Buffer.from('d'), partitionKey: 'k' });
    expect(next.sequenceNumber).toBe(formatSequence(before.length + 2));
    expect(db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'kinesis_records'").get()).toBeUndefined();
  });
});
