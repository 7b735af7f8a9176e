/**
 * The JSON events and results exchanged between the coordinator and the built-in functions
 * (mapper, cascade, reducer). functions/lib/protocol.ts re-exports these types.
 */
import type { ResultStore } from './result-refs.js';

export type { ResultReference, ResultStore } from './result-refs.js';

/** How a split's bytes are stored: plain text, a whole gzip object, or one member of a bgzip object. */
export type SplitFormat = 'text' | 'gzip' | 'member';

/**
 * One unit of map input. For `text`, [start, end) is a byte range of the object (size = object size).
 * For `gzip`/`member`, the compressed bytes [offset, offset+length) are decompressed and the split owns
 * every line from decompressed byte `start` on (`end` is null); a resumed split has `start` > 0.
 */
export interface SplitSpec {
  bucket: string;
  key: string;
  format: SplitFormat;
  size: number;
  start: number;
  end: number | null;
  offset?: number;
  length?: number;
  /** A small whole text object's body, base64, packed into the event by the coordinator (no read needed). */
  inline?: string;
}

/** The event every mapper receives. */
export interface MapEvent {
  jobId: string;
  taskId: string;
  attempt: number;
  splits: SplitSpec[];
  params?: Record<string, unknown>;
  /** Testing aid: throw on attempts ≤ failAttempts. */
  failAttempts?: number;
  /** Testing aid: read `chunkBytes` at a time and pause `delayMs` after each, so deadlines hit. */
  pace?: { chunkBytes: number; delayMs: number };
  /** Where to write shuffle partitions (wordfreq). */
  shuffle?: { bucket: string; prefix: string; partitions: number };
  /**
   * Report provisional progress every `intervalMs` while running (POST /_lambdata/jobs/:jobId/progress),
   * each report carrying `secret`: the attempt's own, refused once the attempt has ended.
   */
  progress?: { intervalMs: number; secret: string };
  /**
   * Short-circuit local reads, when the mapper runs on the engine's own host: POST
   * /_lambdata/jobs/:jobId/reads with a ReadGrantRequest and read the granted objects as files.
   */
  localReads?: { secret: string };
  /** Where a result over the 6 MB response limit is written instead of answered. */
  results?: ResultStore;
}

/** What a mapper attempt posts to `/_lambdata/jobs/:jobId/reads`: who it is (its attempt's secret). */
export interface ReadGrantRequest {
  taskId: string;
  attempt: number;
  secret: string;
  /** The mapper's own invocation (the grant lives as long as it runs). */
  requestId: string;
  /**
   * The objects of its splits to grant now (others are ignored); absent: all of them. A mapper asks
   * in pieces, the first small, so it starts reading while the engine links the rest.
   */
  objects?: Array<{ bucket: string; key: string }>;
}

/**
 * The answer: the objects of the attempt's splits it may read as files (read-only, until its
 * invocation ends), each at `path` inside its environment; the others (or all, where the engine
 * cannot grant) are read over S3.
 */
export interface ReadGrantAnswer {
  files: Array<{ bucket: string; key: string; path: string }>;
}

/**
 * What a running mapper attempt posts to `/_lambdata/jobs/:jobId/progress`: its figures so far
 * (cumulative for the attempt, not deltas, so a lost or repeated report never skews the totals) and
 * the whole objects it finished since its previous report. Provisional: the committed output is the truth.
 */
export interface TaskProgressReport {
  taskId: string;
  attempt: number;
  /** The attempt's secret from its MapEvent (`progress.secret`). */
  secret: string;
  bytes: number;
  words: number;
  lines: number;
  /** Whole objects (one-split objects) finished by this attempt so far. */
  keys: number;
  /** Objects finished since the previous report, for the live scatter plot. */
  objects?: Array<{ key: string; words: number; lines: number; bytes: number }>;
}

/** What a mapper did with (part of) one split: the owned bytes [start, end) in the split's stream. */
export interface MapPiece {
  key: string;
  /** Orders a bgzip object's members: the member's compressed offset (0 for text and gzip). */
  offset: number;
  start: number;
  end: number;
  words: number;
  lines: number;
  bytes: number;
  /** grep: matching lines as [line index within this piece (0-based), text]. */
  matches?: Array<[number, string]>;
}

/** A mapper's answer: what it finished, what is left (when it stopped before its deadline), and shuffle outputs. */
export interface MapResult {
  taskId: string;
  pieces: MapPiece[];
  remaining: SplitSpec[];
  /** wordfreq: one intermediate object key per partition (index = partition). */
  partitions?: string[];
  /** User mappers: any JSON result, merged by the coordinator by summing numbers key by key. */
  custom?: unknown;
}

/** One task for the cascade to invoke. */
export interface CascadeTask {
  taskId: string;
  /** The attempt number, which names the task's result object if the cascade stores it. */
  attempt?: number;
  payload: unknown;
}

/** The cascade's event: invoke `functionName` once per task, `parallelism` at a time. */
export interface CascadeEvent {
  functionName: string;
  tasks: CascadeTask[];
  parallelism?: number;
  /** Where the cascade writes children's results when its whole answer would pass the 6 MB response limit. */
  results?: ResultStore;
}

/** One child's outcome, in task order. */
export interface CascadeOutcome {
  taskId: string;
  ok: boolean;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
  durationMs: number;
  /** The child invocation's request id (the coordinator bills it to the job). */
  requestId?: string;
  /** The REPORT line of the child's Tail log (a remote target's coordinator prices it). */
  report?: string;
}

/** The cascade's answer. */
export interface CascadeResult {
  outcomes: CascadeOutcome[];
}

/** The reducer's event: merge `word\tcount` inputs of one partition into sorted output. */
export interface ReduceEvent {
  jobId: string;
  partition: number;
  /** Names the result object if the result passes the response limit. */
  attempt?: number;
  bucket: string;
  inputs: string[];
  outputKey: string;
  /** Where the reducer writes its sorted runs when the partition outgrows its memory budget. */
  spillPrefix?: string;
  /** Bytes of reduce state held before spilling (default: a quarter of the function's memory size). */
  memoryBudget?: number;
  /** Where a result over the 6 MB response limit is written instead of answered. */
  results?: ResultStore;
}

/** The reducer's answer. */
export interface ReduceResult {
  partition: number;
  distinct: number;
  words: number;
  top: Array<[string, number]>;
  outputKey: string;
  /** Sorted runs spilled to the store (0: the partition fit in memory) and their bytes. */
  spilledRuns?: number;
  spilledBytes?: number;
}
