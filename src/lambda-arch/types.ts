/** The Lambda Architecture's shapes, as the native API returns them (docs/VIEWS.md). */

/** One shard's archive position. */
export interface ShardPosition {
  shardId: string;
  archivedSequence: string;
  /** Latest event time archived from this shard (ms). */
  archivedEventTime: number;
  events: number;
  rejected: number;
}

/** How long master objects are kept; absent: for ever. */
export interface RetentionPolicy {
  hours: number;
}

/** A dataset as created. */
export interface DatasetConfig {
  name: string;
  stream: string;
  bucket: string;
  prefix: string;
  timeField: string;
  retention?: RetentionPolicy;
  /** SQS queue or function ARN that gets invalid and late events, with the reason. */
  onFailure?: string;
  batchSize: number;
  /**
   * How master objects are stored: `none`, plain JSON lines (`.jsonl`), or `gzip` (`.jsonl.gz`).
   * Absent in datasets created before it was a setting: those keep writing gzip, so a batch redone
   * after an upgrade rewrites the object it wrote before, under the same name.
   */
  compression?: Compression;
}

/** How a dataset stores its master objects. */
export type Compression = 'none' | 'gzip';

/** A dataset with its archive state. */
export interface DatasetInfo extends DatasetConfig {
  createdAt: number;
  objects: number;
  bytes: number;
  events: number;
  rejected: number;
  shards: ShardPosition[];
  /** Min over shards of the archived event time: the candidate batch horizon (ms; 0 before any event). */
  completeUpTo: number;
  /** Events with a time below this are late (the highest horizon a recompute has sealed). */
  sealed: number;
}

/** Where a view's code comes from. */
export type ViewSource = { builtin: string } | { code: string };

/** A view as created. */
export interface ViewConfig {
  name: string;
  dataset: string;
  source: ViewSource;
  /** Batch versions kept readable (≥ 1). */
  generations: number;
  /** Seconds between scheduled incremental recomputes; absent: only on demand. */
  recomputeEvery?: number;
  mapper: string;
  reducer: string;
  /**
   * How the view's mapper hands its folded states to a recompute. 'per-task': each map task writes
   * one object and the engine merges them (views created since the reduce stage was dropped: their
   * mapper knows `params.output`). Absent: shuffled partitions, merged by the view's reducer first
   * (views created before; their deployed mapper needs a shuffle).
   */
  mapOutput?: 'per-task';
  /** A user view's speed-layer function (its code runs only in functions, never in the engine). */
  speed?: string;
  /** A user view's granularity and built-in monoid, as its function described them at creation. */
  shape?: { granularity: string; monoid: string };
}

/** One batch version. */
export interface BatchGeneration {
  version: number;
  horizon: number;
  computedAt: number;
  events: number;
}

/** What a view reports. */
export interface ViewInfo {
  name: string;
  dataset: string;
  granularity: string;
  monoid: string;
  source: ViewSource;
  recomputeEvery?: number;
  batch: (BatchGeneration & { generations: BatchGeneration[] }) | null;
  speed: {
    /** Event time up to which every shard's events are applied (the dataset's completeUpTo). */
    checkpointTime: number;
    buckets: number;
    keys: number;
    /** Records not yet applied across shards (0 when caught up). */
    lagMs: number;
  };
  recompute: { running: boolean; jobId?: string; startedAt?: number; lastDurationMs?: number; lastError?: string };
  errors: { count: number; last?: string };
}

/** One key's value with its two parts. */
export interface TopEntry {
  key: string;
  value: unknown;
  batch: unknown;
  speed: unknown;
}

/** A query's answer: batch(t < B) ⊕ speed(t ≥ B), read in one snapshot. */
export interface QueryAnswer {
  view: string;
  key: string;
  from: number | null;
  to: number | null;
  value: unknown;
  batch: { value: unknown; version: number | null; horizon: number };
  speed: {
    value: unknown;
    from: number;
    /** The dataset's completeUpTo in the same snapshot. */
    upTo: number;
    /** Per shard, the last sequence number the speed layer has applied. */
    shards: Record<string, string>;
  };
  complete: boolean;
  missing?: { reason: string; batchCompleteUpTo: number; speedUpTo: number };
}

/** Query options. */
export interface QueryOptions {
  from?: number;
  to?: number;
  /** Read this batch version instead of the current one (it must still be kept). */
  version?: number;
}

/** Recompute progress, as the `recompute` SSE event carries it. */
export interface RecomputeEvent {
  view: string;
  jobId?: string;
  phase: 'started' | 'swapped' | 'failed';
  version?: number;
  horizon?: number;
  error?: string;
}
