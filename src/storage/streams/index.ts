/**
 * Streams: Kinesis semantics on SQLite.
 *
 * For pollers (event source mappings) the surface is:
 * - `streams.listShards(name)` — shards with `parentShardId` / `adjacentParentShardId` (and all of
 *   them in `parentShardIds`); `sequenceNumberRange.end` is set once a shard is closed.
 * - `streams.readShard(name, shardId, from, limit)` — `from` is `{ after }` (exclusive), `{ at }`
 *   (inclusive), `{ latest: true }`, `{ atTimestamp }` (epoch ms) or `{}` (trim horizon). Returns
 *   `{ records, millisBehindLatest, shardClosed, next }`; pass `next` as the following `from`.
 *   When `shardClosed` is true the shard is fully read: go on to its children.
 * - `streams.appended` — a Topic fired after each durable append with `{ streamName, shardId }`.
 * - `streams.streamArn(name)` — `arn:aws:kinesis:<region>:000000000000:stream/<name>`.
 * Sequence numbers are fixed-length decimal strings: string order is numeric order.
 */
export { InvalidStreamArgument, StreamInUse } from './errors.js';
export { formatSequence, hashKeyOf, parseSequence } from './shard-math.js';
export { StreamStore, type StreamStoreOptions } from './stream-store.js';
export type * from './types.js';
