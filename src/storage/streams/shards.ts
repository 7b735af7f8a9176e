/**
 * Shards of a stream: adding one over a hash key range, uniform re-sharding (every open shard
 * closes, children open over the whole space naming the shards they overlap as parents), and
 * their description.
 */
import type { Db } from '../../state/db.js';
import { formatSequence, shardIdOf, splitRange } from './shard-math.js';
import type { StreamMeta } from './stream-schema.js';
import type { ShardDescription } from './types.js';

/** A range of the 128-bit hash key space, inclusive. */
export interface HashRange {
  start: bigint;
  end: bigint;
}

/** Adds an open shard whose records start after `lastSeq`, in the caller's transaction. */
export function addShard(db: Db, stream: StreamMeta, range: HashRange, parents: string[], lastSeq: number): void {
  const shardId = shardIdOf(stream.nextShardIndex++);
  const startSeq = lastSeq + 1;
  const key = Number(
    db
      .prepare(
        'INSERT INTO kinesis_shards (stream_id, shard_id, parents, hash_start, hash_end, start_seq) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(stream.id, shardId, JSON.stringify(parents), range.start.toString(), range.end.toString(), startSeq)
      .lastInsertRowid,
  );
  db.prepare('UPDATE kinesis_streams SET next_shard_index = ? WHERE id = ?').run(stream.nextShardIndex, stream.id);
  stream.shards.push({ key, shardId, parents, hashStart: range.start, hashEnd: range.end, startSeq });
}

/**
 * Closes every open shard at `lastSeq` and opens `target` children over the whole hash space, in
 * one transaction. Returns how many shards were open before.
 */
export function reshard(db: Db, stream: StreamMeta, target: number, lastSeq: () => number): number {
  const open = stream.shards.filter((s) => s.endSeq === undefined);
  db.transaction(() => {
    const closedAt = lastSeq();
    const close = db.prepare('UPDATE kinesis_shards SET end_seq = ? WHERE id = ?');
    for (const shard of open) {
      shard.endSeq = closedAt;
      close.run(closedAt, shard.key);
    }
    for (const range of splitRange(target)) {
      const parents = open.filter((p) => p.hashStart <= range.end && p.hashEnd >= range.start).map((p) => p.shardId);
      addShard(db, stream, range, parents, lastSeq());
    }
  })();
  return open.length;
}

/** Every shard of the stream, open and closed, in creation order. */
export function describeShards(stream: StreamMeta): ShardDescription[] {
  return stream.shards.map((shard) => ({
    shardId: shard.shardId,
    ...(shard.parents[0] ? { parentShardId: shard.parents[0] } : {}),
    ...(shard.parents[1] ? { adjacentParentShardId: shard.parents[1] } : {}),
    parentShardIds: [...shard.parents],
    hashKeyRange: { start: shard.hashStart.toString(), end: shard.hashEnd.toString() },
    sequenceNumberRange: {
      start: formatSequence(shard.startSeq),
      ...(shard.endSeq !== undefined ? { end: formatSequence(shard.endSeq) } : {}),
    },
  }));
}
