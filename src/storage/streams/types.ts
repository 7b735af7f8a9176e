/** One record of a stream shard, as pollers and the wire adapter see it. */
export interface StreamRecordRef {
  streamName: string;
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: Buffer;
  /** Epoch milliseconds. */
  approximateArrivalTimestamp: number;
}

/** A shard of a stream: its hash key range and the sequence numbers it holds. */
export interface ShardDescription {
  shardId: string;
  parentShardId?: string;
  adjacentParentShardId?: string;
  /** Every shard this one replaced (more than two only after a scaling AWS could not express). */
  parentShardIds: string[];
  hashKeyRange: { start: string; end: string };
  /** `end` is set once the shard is closed (after UpdateShardCount). */
  sequenceNumberRange: { start: string; end?: string };
}

/** What `describeStream` returns. */
export interface StreamDescription {
  streamName: string;
  streamArn: string;
  status: 'ACTIVE';
  retentionPeriodHours: number;
  /** Epoch milliseconds. */
  createdAt: number;
  shards: ShardDescription[];
  openShardCount: number;
}

/** One record to append. */
export interface PutRecordInput {
  data: Buffer;
  partitionKey: string;
  /** Decimal 128-bit hash key that overrides the partition key's MD5. */
  explicitHashKey?: string;
}

/** Where to read a shard from; with none set, the trim horizon (oldest retained record). */
export interface ShardPosition {
  /** Exclusive: records after this sequence number. */
  after?: string;
  /** Inclusive: records at or after this sequence number. */
  at?: string;
  /** Only records appended from now on. */
  latest?: boolean;
  /** Records that arrived at or after this epoch-ms time. */
  atTimestamp?: number;
}

/** The answer of `readShard`. */
export interface ShardRead {
  records: StreamRecordRef[];
  /** 0 when caught up with the shard's tip, else how far the oldest unread record is behind now. */
  millisBehindLatest: number;
  /** The shard is closed and every record in it has been read: move on to its children. */
  shardClosed: boolean;
  /** Where the next read continues (pass it back as `from`). */
  next: ShardPosition;
}
