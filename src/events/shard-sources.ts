import type { StreamRecordRef, StreamStore } from '../storage/streams/index.js';
import type { TableChange, TableStore } from '../storage/tables/index.js';
import type { Checkpoint } from './mapping-store.js';
import type { MappingConfig } from './mapping-types.js';

/** A shard of an ordered source and the shards it replaced. */
export interface SourceShard {
  shardId: string;
  parents: string[];
}

/** What one read of a shard gave. */
export interface ShardBatch<R> {
  records: R[];
  /** The shard is closed and fully read. */
  closed: boolean;
  millisBehindLatest: number;
}

/** An ordered, sharded source (a Kinesis stream or a table's change stream) as a poller sees it. */
export interface ShardSource<R> {
  readonly batchInfoKey: 'KinesisBatchInfo' | 'DDBStreamBatchInfo';
  listShards(): SourceShard[];
  /** The position a new mapping starts at on this shard. */
  initialPosition(shardId: string): Omit<Checkpoint, 'finished'>;
  read(shardId: string, from: Omit<Checkpoint, 'finished'>, limit: number): ShardBatch<R>;
  sequenceOf(record: R): string;
  partitionKeyOf(record: R): string;
  arrivalOf(record: R): number;
  /** How long the source keeps a record (ms): a record older than this is given up on as expired. */
  retentionMs(): number;
  /** Calls `wake` whenever new records may be readable; returns the unsubscribe function. */
  subscribe(wake: (shardId?: string) => void): () => void;
}

const HOUR_MS = 3_600_000;
/** DynamoDB Streams keep change records for 24 hours. */
const TABLE_STREAM_RETENTION_MS = 24 * HOUR_MS;

/** The single "shard" of a table's change stream. */
export const TABLE_SHARD_ID = 'shardId-00000000000000000000-00000001';

/** A Kinesis stream as a shard source. */
export function streamSource(streams: StreamStore, mapping: MappingConfig): ShardSource<StreamRecordRef> {
  const name = mapping.sourceName;
  return {
    batchInfoKey: 'KinesisBatchInfo',
    listShards: () => streams.listShards(name).map((s) => ({ shardId: s.shardId, parents: s.parentShardIds })),
    initialPosition(shardId) {
      if (mapping.startingPosition === 'LATEST') return streams.readShard(name, shardId, { latest: true }, 1).next;
      if (mapping.startingPosition === 'AT_TIMESTAMP') return { atTimestamp: mapping.startingPositionTimestamp ?? 0 };
      return {};
    },
    read(shardId, from, limit) {
      const read = streams.readShard(name, shardId, from, limit);
      return { records: read.records, closed: read.shardClosed, millisBehindLatest: read.millisBehindLatest };
    },
    sequenceOf: (r) => r.sequenceNumber,
    partitionKeyOf: (r) => r.partitionKey,
    arrivalOf: (r) => r.approximateArrivalTimestamp,
    retentionMs: () => streams.describeStream(name).retentionPeriodHours * HOUR_MS,
    subscribe: (wake) =>
      streams.appended.subscribe((e) => {
        if (e.streamName === name) wake(e.shardId);
      }),
  };
}

/** A table's change stream as a one-shard source. */
export function tableSource(tables: TableStore, mapping: MappingConfig): ShardSource<TableChange> {
  const name = mapping.sourceName;
  return {
    batchInfoKey: 'DDBStreamBatchInfo',
    listShards: () => [{ shardId: TABLE_SHARD_ID, parents: [] }],
    initialPosition() {
      if (mapping.startingPosition !== 'LATEST') return {};
      let after: string | undefined;
      for (;;) {
        const page = tables.readChanges(name, after, 1000);
        if (page.length === 0) return after === undefined ? { after: '0' } : { after };
        after = page[page.length - 1]?.sequenceNumber;
      }
    },
    read(_shardId, from, limit) {
      const records = tables.readChanges(name, from.after, limit);
      const first = records[0];
      return {
        records,
        closed: false,
        millisBehindLatest: first ? Math.max(0, Date.now() - first.approximateCreationDateTime) : 0,
      };
    },
    sequenceOf: (r) => r.sequenceNumber,
    partitionKeyOf: (r) => JSON.stringify(r.keys),
    arrivalOf: (r) => r.approximateCreationDateTime,
    retentionMs: () => TABLE_STREAM_RETENTION_MS,
    subscribe: (wake) =>
      tables.changed.subscribe((e) => {
        if (e.tableName === name) wake(TABLE_SHARD_ID);
      }),
  };
}
