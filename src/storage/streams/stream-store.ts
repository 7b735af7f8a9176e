import { kinesisStreamArn } from '../../shared/arn.js';
import type { BackgroundService, EngineContext } from '../../shared/context.js';
import { ResourceNotFound } from '../../shared/errors.js';
import { Topic } from '../../shared/events.js';
import { ACCOUNT_ID } from '../../shared/ids.js';
import { migrate } from '../../state/db.js';
import { InvalidStreamArgument, StreamInUse } from './errors.js';
import { checkShardCount, routeRecord } from './routing.js';
import { formatSequence, splitRange } from './shard-math.js';
import { ShardRecords } from './shard-records.js';
import { addShard, describeShards, reshard } from './shards.js';
import { loadStreams, migrateRecordRows, type ShardMeta, STREAM_SCHEMA, type StreamMeta } from './stream-schema.js';
import type { PutRecordInput, ShardDescription, ShardPosition, ShardRead, StreamDescription } from './types.js';

/** Options of a StreamStore; tests pass a clock to age records without waiting. */
export interface StreamStoreOptions {
  /** Epoch-ms clock (default Date.now). */
  now?: () => number;
  /** How often expired records are deleted (default 60 s). */
  trimIntervalMs?: number;
}

const MAX_STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
const MIN_RETENTION_HOURS = 24;
const MAX_RETENTION_HOURS = 8760;

/**
 * Kinesis-like streams: shards over the 128-bit hash key space, per-shard ordered records with
 * increasing sequence numbers, retention and re-sharding. Records are committed to SQLite before a
 * put returns, so acknowledged records survive `kill -9`. Every method is synchronous. Record
 * storage lives in shard-records.ts, shards and re-sharding in shards.ts.
 */
export class StreamStore implements BackgroundService {
  /** Fires after each durable append, once per shard written, so pollers wake at once. */
  readonly appended = new Topic<{ streamName: string; shardId: string }>();

  #context: EngineContext;
  #now: () => number;
  #trimIntervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #streams = new Map<string, StreamMeta>();
  #records: ShardRecords;

  constructor(context: EngineContext, options: StreamStoreOptions = {}) {
    this.#context = context;
    this.#now = options.now ?? Date.now;
    this.#trimIntervalMs = options.trimIntervalMs ?? 60_000;
    migrate(context.db, STREAM_SCHEMA);
    const db = context.db;
    migrateRecordRows(db);
    this.#records = new ShardRecords(db);
    this.#streams = loadStreams(db);
  }

  async start(): Promise<void> {
    this.#timer = setInterval(() => {
      try {
        this.trim();
      } catch (err) {
        this.#context.log.error('stream trim failed', { err });
      }
    }, this.#trimIntervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The stream's ARN (arn:aws:kinesis:<region>:000000000000:stream/<name>). */
  streamArn(name: string): string {
    return kinesisStreamArn(this.#context.region, name);
  }

  /**
   * Creates a stream whose shards split the hash key space evenly.
   * @throws StreamInUse when it exists; InvalidStreamArgument for a bad name or shard count.
   */
  createStream(name: string, { shardCount = 1 }: { shardCount?: number } = {}): void {
    if (!MAX_STREAM_NAME.test(name)) throw new InvalidStreamArgument(`Invalid stream name: ${JSON.stringify(name)}`);
    checkShardCount(shardCount);
    if (this.#streams.has(name)) throw new StreamInUse(`Stream ${name} under account ${ACCOUNT_ID} already exists.`);
    const db = this.#context.db;
    db.transaction(() => {
      const createdAt = this.#now();
      const id = Number(
        db
          .prepare(
            'INSERT INTO kinesis_streams (name, created_at, retention_hours, next_shard_index) VALUES (?, ?, ?, 0)',
          )
          .run(name, createdAt, MIN_RETENTION_HOURS).lastInsertRowid,
      );
      const stream: StreamMeta = {
        id,
        name,
        retentionHours: MIN_RETENTION_HOURS,
        createdAt,
        nextShardIndex: 0,
        shards: [],
      };
      for (const range of splitRange(shardCount)) addShard(db, stream, range, [], this.#records.currentSeq());
      this.#streams.set(name, stream);
    })();
  }

  /** Deletes a stream and its records. @throws ResourceNotFound */
  deleteStream(name: string): void {
    const stream = this.#stream(name);
    const db = this.#context.db;
    db.transaction(() => {
      this.#records.deleteShards(stream.shards);
      db.prepare('DELETE FROM kinesis_streams WHERE id = ?').run(stream.id);
    })();
    this.#streams.delete(name);
  }

  /** Names of all streams, sorted. */
  listStreams(): string[] {
    return [...this.#streams.keys()].sort();
  }

  /** True when the stream exists. */
  hasStream(name: string): boolean {
    return this.#streams.has(name);
  }

  /** The stream with its shards. @throws ResourceNotFound */
  describeStream(name: string): StreamDescription {
    const stream = this.#stream(name);
    return {
      streamName: name,
      streamArn: this.streamArn(name),
      status: 'ACTIVE',
      retentionPeriodHours: stream.retentionHours,
      createdAt: stream.createdAt,
      shards: this.listShards(name),
      openShardCount: stream.shards.filter((s) => s.endSeq === undefined).length,
    };
  }

  /** Every shard of the stream, open and closed, in creation order. @throws ResourceNotFound */
  listShards(name: string): ShardDescription[] {
    return describeShards(this.#stream(name));
  }

  /** Appends one record. @throws ResourceNotFound, InvalidStreamArgument */
  putRecord(name: string, record: PutRecordInput): { shardId: string; sequenceNumber: string } {
    const [result] = this.putRecords(name, [record]).records;
    return result as { shardId: string; sequenceNumber: string };
  }

  /**
   * Appends records in one transaction, each routed to the open shard owning its hash key. The
   * records of each shard get consecutive sequence numbers, in request order, and one stored row.
   * Validation errors reject the whole batch; accepted batches never fail per record here.
   * @throws ResourceNotFound, InvalidStreamArgument
   */
  putRecords(
    name: string,
    records: PutRecordInput[],
  ): {
    failedRecordCount: number;
    records: Array<{ shardId: string; sequenceNumber: string } | { errorCode: string; errorMessage: string }>;
  } {
    const stream = this.#stream(name);
    const open = stream.shards.filter((s) => s.endSeq === undefined);
    // Record indexes by target shard, shards in order of first appearance.
    const byShard = new Map<ShardMeta, number[]>();
    for (let i = 0; i < records.length; i++) {
      const shard = routeRecord(open, records[i] as PutRecordInput);
      const indexes = byShard.get(shard);
      if (indexes) indexes.push(i);
      else byShard.set(shard, [i]);
    }
    const results = this.#records.append(byShard, records, this.#now());
    for (const shard of byShard.keys()) this.appended.publish({ streamName: name, shardId: shard.shardId });
    return { failedRecordCount: 0, records: results };
  }

  /**
   * Reads up to `limit` records of one shard in sequence order, from `from` (see ShardPosition),
   * hiding records older than the retention period.
   * @throws ResourceNotFound for an unknown stream or shard; InvalidStreamArgument for a bad position.
   */
  readShard(name: string, shardId: string, from: ShardPosition, limit: number): ShardRead {
    const stream = this.#stream(name);
    const shard = this.#shard(stream, shardId);
    return this.#records.read(stream, shard, from, limit, this.#now());
  }

  /** Per-shard record counts and the newest record (for dashboards and `lambdata streams`). @throws ResourceNotFound */
  shardStats(name: string): Array<{
    shardId: string;
    open: boolean;
    records: number;
    lastSequenceNumber?: string;
    lastArrivalTimestamp?: number;
  }> {
    const stream = this.#stream(name);
    const count = this.#context.db
      .prepare('SELECT COALESCE(SUM(count), 0) FROM kinesis_batches WHERE shard = ?')
      .pluck();
    return stream.shards.map((shard) => {
      const tip = this.#records.tip(shard);
      return {
        shardId: shard.shardId,
        open: shard.endSeq === undefined,
        records: Number(count.get(shard.key)),
        ...(tip ? { lastSequenceNumber: formatSequence(tip.seq), lastArrivalTimestamp: tip.arrived } : {}),
      };
    });
  }

  /** Changes the retention period (hours, 24..8760). @throws ResourceNotFound, InvalidStreamArgument */
  setRetention(name: string, hours: number, direction: 'increase' | 'decrease' | 'any' = 'any'): void {
    const stream = this.#stream(name);
    if (!Number.isInteger(hours) || hours < MIN_RETENTION_HOURS || hours > MAX_RETENTION_HOURS) {
      throw new InvalidStreamArgument(
        `Retention period hours ${hours} must be between ${MIN_RETENTION_HOURS} and ${MAX_RETENTION_HOURS}`,
      );
    }
    if (direction === 'increase' && hours < stream.retentionHours) {
      throw new InvalidStreamArgument(
        `Requested retention period (${hours} hours) for stream ${name} can not be shorter than existing retention period (${stream.retentionHours} hours). Use DecreaseRetentionPeriod API.`,
      );
    }
    if (direction === 'decrease' && hours > stream.retentionHours) {
      throw new InvalidStreamArgument(
        `Requested retention period (${hours} hours) for stream ${name} can not be longer than existing retention period (${stream.retentionHours} hours). Use IncreaseRetentionPeriod API.`,
      );
    }
    this.#context.db.prepare('UPDATE kinesis_streams SET retention_hours = ? WHERE id = ?').run(hours, stream.id);
    stream.retentionHours = hours;
  }

  /**
   * Re-shards uniformly: closes every open shard and opens `target` children over the whole hash
   * space. Each child names the old shards its range overlaps as parents (the first two as
   * ParentShardId / AdjacentParentShardId); readers drain parents before children.
   * @throws ResourceNotFound, InvalidStreamArgument
   */
  updateShardCount(name: string, target: number): { currentShardCount: number; targetShardCount: number } {
    checkShardCount(target);
    const stream = this.#stream(name);
    const current = reshard(this.#context.db, stream, target, () => this.#records.currentSeq());
    return { currentShardCount: current, targetShardCount: target };
  }

  /** Deletes records older than their stream's retention period; returns how many went. */
  trim(): number {
    return this.#records.trim(this.#streams.values(), this.#now());
  }

  #stream(name: string): StreamMeta {
    const stream = this.#streams.get(name);
    if (!stream) throw new ResourceNotFound(`Stream ${name} under account ${ACCOUNT_ID} not found.`);
    return stream;
  }

  #shard(stream: StreamMeta, shardId: string): ShardMeta {
    const shard = stream.shards.find((s) => s.shardId === shardId);
    if (!shard) {
      throw new ResourceNotFound(
        `Shard ${shardId} in stream ${stream.name} under account ${ACCOUNT_ID} does not exist`,
      );
    }
    return shard;
  }
}
