// Which shard a record goes to and where a read starts: Kinesis' rules and limits.
import { InvalidStreamArgument } from './errors.js';
import { HASH_SPACE, hashKeyOf, parseSequence } from './shard-math.js';
import type { ShardMeta } from './stream-schema.js';
import type { PutRecordInput, ShardPosition } from './types.js';

const MAX_SHARDS = 1024;
const MAX_RECORD_BYTES = 1024 * 1024;

/** @throws InvalidStreamArgument unless 1 ≤ count ≤ 1024 shards. */
export function checkShardCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS) {
    throw new InvalidStreamArgument(`ShardCount must be an integer between 1 and ${MAX_SHARDS}, got ${count}`);
  }
}

/**
 * The open shard that owns a record (MD5 of its partition key, or its ExplicitHashKey), after checking the
 * record against Kinesis' limits. @throws InvalidStreamArgument.
 */
export function routeRecord(open: ShardMeta[], record: PutRecordInput): ShardMeta {
  const { partitionKey, data, explicitHashKey } = record;
  if (typeof partitionKey !== 'string' || partitionKey.length < 1 || partitionKey.length > 256) {
    throw new InvalidStreamArgument('PartitionKey must be a string of 1 to 256 characters');
  }
  if (!Buffer.isBuffer(data)) throw new InvalidStreamArgument('Data must be bytes');
  if (data.length + Buffer.byteLength(partitionKey) > MAX_RECORD_BYTES) {
    throw new InvalidStreamArgument(`Record of ${data.length} bytes is over the 1 MiB limit`);
  }
  let hash: bigint;
  if (explicitHashKey !== undefined) {
    if (!/^\d{1,39}$/.test(explicitHashKey) || BigInt(explicitHashKey) >= HASH_SPACE) {
      throw new InvalidStreamArgument(`ExplicitHashKey ${explicitHashKey} is not a decimal in [0, 2^128)`);
    }
    hash = BigInt(explicitHashKey);
  } else {
    hash = hashKeyOf(partitionKey);
  }
  const shard = open.find((s) => s.hashStart <= hash && hash <= s.hashEnd);
  if (!shard) throw new InvalidStreamArgument(`No open shard owns hash key ${hash}`);
  return shard;
}

/** The smallest internal sequence counter a position includes. @throws InvalidStreamArgument. */
export function positionStart(from: ShardPosition): number {
  if (from.after !== undefined) return sequenceOrThrow(from.after) + 1;
  if (from.at !== undefined) return sequenceOrThrow(from.at);
  return 0;
}

function sequenceOrThrow(text: string): number {
  const seq = parseSequence(text);
  if (seq === undefined) throw new InvalidStreamArgument(`Invalid StartingSequenceNumber: ${text}`);
  return seq;
}
