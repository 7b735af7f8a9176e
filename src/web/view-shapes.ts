/**
 * The native views API's answers as the dashboard reads them (GET /views, /views/{name},
 * /views/{name}/query, /datasets; SSE /views/events).
 */

/** One archived shard of a dataset. */
export interface DatasetShard {
  shardId: string;
  archivedSequence: string | null;
  archivedEventTime: number | null;
}

/** A master dataset: a stream archived into the object store. */
export interface DatasetInfo {
  name: string;
  stream: string;
  bucket: string;
  prefix: string;
  createdAt: number;
  objects: number;
  bytes: number;
  events: number;
  shards: DatasetShard[];
  /** Event time (ms) up to which every shard is archived. */
  completeUpTo: number | null;
}

/** A batch view version. */
export interface BatchGeneration {
  version: number;
  horizon: number;
  computedAt: number;
}

/** A view and the state of its layers. */
export interface ViewInfo {
  name: string;
  dataset: string;
  granularity: string;
  monoid: string;
  batch: (BatchGeneration & { events: number; generations: BatchGeneration[] }) | null;
  speed: { checkpointTime: number | null; buckets: number; keys: number; lagMs: number | null };
  recompute: { running: boolean; jobId?: string; startedAt?: number; lastDurationMs?: number; lastError?: string };
  /** Top keys by value (GET /views/{name}; also in SSE events when the server sends them). */
  top?: Array<{ key: string; value: unknown; batch: unknown; speed: unknown }>;
}

/** The merged answer of a query and its two parts. */
export interface QueryAnswer {
  view: string;
  key: string;
  from: number | null;
  to: number | null;
  value: unknown;
  batch: { value: unknown; version: number | null; horizon: number | null };
  speed: { value: unknown; from: number | null; upTo: number | null };
  complete: boolean;
  missing?: { reason: string; batchCompleteUpTo: number | null; speedUpTo: number | null };
}

/** SSE `recompute` event. */
export interface RecomputeEvent {
  view: string;
  jobId: string;
  phase: 'started' | 'swapped' | 'failed';
  error?: string;
}
