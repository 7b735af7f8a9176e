import { createHash } from 'node:crypto';

/** One more than the largest hash key: Kinesis hash keys span [0, 2^128). */
export const HASH_SPACE = 1n << 128n;

/** Sequence numbers are "49" followed by a zero-padded counter: fixed length, so string order is numeric order. */
const SEQUENCE_PREFIX = 49n * 10n ** 24n;

/** The 128-bit hash key of a partition key: its MD5 read as a big-endian unsigned integer (as Kinesis does). */
export function hashKeyOf(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
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
