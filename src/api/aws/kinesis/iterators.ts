import { InvalidStreamArgument, type ShardPosition } from '../../../storage/streams/index.js';
import { ExpiredIterator } from '../errors.js';

/** What a shard iterator encodes: the shard and where reading resumes. */
export interface IteratorState {
  streamName: string;
  shardId: string;
  position: ShardPosition;
  /** Epoch ms when the iterator was issued. */
  issuedAt: number;
}

/** Shard iterators expire 5 minutes after they are issued, as on AWS. */
export const ITERATOR_TTL_MS = 5 * 60_000;

/** Encodes an iterator as an opaque base64 string. */
export function encodeIterator(state: IteratorState): string {
  const { streamName: s, shardId: h, position: p, issuedAt: t } = state;
  return Buffer.from(JSON.stringify({ s, h, p, t })).toString('base64');
}

/**
 * Decodes an iterator.
 * @throws InvalidArgumentException when it is not one of ours; ExpiredIteratorException when older than 5 minutes.
 */
export function decodeIterator(text: unknown, now: number): IteratorState {
  let state: IteratorState | undefined;
  if (typeof text === 'string' && text.length > 0) {
    try {
      const raw = JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as Record<string, unknown>;
      if (typeof raw.s === 'string' && typeof raw.h === 'string' && typeof raw.t === 'number' && raw.p) {
        state = { streamName: raw.s, shardId: raw.h, position: raw.p as ShardPosition, issuedAt: raw.t };
      }
    } catch (err) {
      throw new InvalidStreamArgument('Invalid ShardIterator', { cause: err });
    }
  }
  if (!state) throw new InvalidStreamArgument('Invalid ShardIterator');
  if (now - state.issuedAt > ITERATOR_TTL_MS) {
    throw new ExpiredIterator(
      `Iterator expired. The iterator was created at time ${new Date(state.issuedAt).toUTCString()} while right now it is ${new Date(now).toUTCString()} which is further in the future than the tolerated delay of 300000 milliseconds.`,
    );
  }
  return state;
}
