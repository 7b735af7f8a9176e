import { createHash } from 'node:crypto';

/** One more than the largest hash key: Kinesis hash keys span [0, 2^128). */
export const HASH_SPACE = 1n << 128n;

/** Sequence numbers are "49" followed by a zero-padded counter: fixed length, so string order is numeric order. */
const SEQUENCE_DIGITS = 24;
const SEQUENCE_PREFIX = 49n * 10n ** BigInt(SEQUENCE_DIGITS);
const SEQUENCE_ZERO = `49${'0'.repeat(SEQUENCE_DIGITS)}`;

/** Producers reuse a small set of partition keys; remembering their hashes saves an MD5 and a BigInt parse per record. */
const HASH_CACHE_LIMIT = 10_000;
const hashCache = new Map<string, bigint>();

/** The 128-bit hash key of a partition key: its MD5 read as a big-endian unsigned integer (as Kinesis does). */
export function hashKeyOf(partitionKey: string): bigint {
  let hash = hashCache.get(partitionKey);
  if (hash === undefined) {
    hash = BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
    if (hashCache.size >= HASH_CACHE_LIMIT) hashCache.clear();
    hashCache.set(partitionKey, hash);
  }
  return hash;
}

/** Splits [start, end] into `count` contiguous, nearly equal ranges. */
export function splitRange(count: number, start = 0n, end = HASH_SPACE - 1n): Array<{ start: bigint; end: bigint }> {
  const width = end - start + 1n;
  const ranges: Array<{ start: bigint; end: bigint }> = [];
  for (let i = 0; i < count; i++) {
    const from = start + (width * BigInt(i)) / BigInt(count);
    const to = start + (width * BigInt(i + 1)) / BigInt(count) - 1n;
    ranges.push({ start: from, end: to });
  }
  return ranges;
}

/** The public form of an internal record counter. */
export function formatSequence(counter: number | bigint): string {
  // Plain string padding on the hot path (one call per record); BigInt only for out-of-range counters.
  if (typeof counter === 'number' && counter >= 0 && counter <= Number.MAX_SAFE_INTEGER) {
    const digits = String(counter);
    return SEQUENCE_ZERO.slice(0, SEQUENCE_ZERO.length - digits.length) + digits;
  }
  return (SEQUENCE_PREFIX + BigInt(counter)).toString();
}

/**
 * The internal counter of a sequence number, or undefined when the text is not one of ours.
 * Values below the prefix map to -1 so "after" them means "from the start".
 */
export function parseSequence(text: string): number | undefined {
  if (!/^\d{1,128}$/.test(text)) return undefined;
  const value = BigInt(text) - SEQUENCE_PREFIX;
  if (value < 0n) return -1;
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return Number(value);
}

/** The AWS shard id for a shard's index within its stream (`shardId-000000000003`). */
export function shardIdOf(index: number): string {
  return `shardId-${String(index).padStart(12, '0')}`;
}
