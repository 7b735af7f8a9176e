/**
 * Jobs: map-reduce and scatter-gather runs over objects. These types are the contract between the
 * coordinator, the native API (`/_lambdata/jobs`), the CLI progress bar and the dashboard.
 */

/** How a job's input objects are read. `auto`: `.gz` with a sibling `.bgzi` index → bgzip, `.gz` → gzip, else text. */
export const RECORD_FORMATS = { auto: 'auto', text: 'text', gzip: 'gzip', bgzip: 'bgzip' } as const;
export type RecordFormat = (typeof RECORD_FORMATS)[keyof typeof RECORD_FORMATS];

/** `aggregate` combines every object into one result; `scatter` yields one result per object. */
export const JOB_MODES = { aggregate: 'aggregate', scatter: 'scatter' } as const;
export type JobMode = (typeof JOB_MODES)[keyof typeof JOB_MODES];

export const JOB_STATUSES = {
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
} as const;
export type JobStatus = (typeof JOB_STATUSES)[keyof typeof JOB_STATUSES];

/** Price of the provisioned cluster the cost report compares with (default 3 × m5.xlarge at $0.192/h). */
export interface ClusterPrice {
  instances: number;
  instanceType: string;
  pricePerHour: number;
  /** Billing is per second with this minimum (EC2/EMR: 60 s). */
  minimumSeconds: number;
}

/** What a user submits (`engine.jobs.submit`, `POST /_lambdata/jobs`, `lambdata run`). */
export interface JobSpec {
  /** Mapper: a built-in ('wordcount' | 'wordfreq' | 'grep') or any deployed function name. */
  mapper: string;
  /**
   * The objects to read: every key under `prefix`, or the listed `keys`. `sizes` (with `keys`, one
   * per key) are their sizes when the caller already knows them (a master dataset records each
   * immutable object's size): the planner then sends no HEAD per key, and a key that is missing
   * fails the task that reads it.
   */
  input: { bucket: string; prefix?: string; keys?: string[]; sizes?: number[] };
  format?: RecordFormat; // default auto
  /** Bytes per split (default 64 MiB). */
  splitSize?: number;
  /** Input bytes per mapper invocation (default: input ÷ parallel slots, between 1 MiB and splitSize). */
  taskSize?: number;
  /** Mapper invocations each cascade fans out to (default 10). */
  fanout?: number;
  mode?: JobMode; // default aggregate
  /** Reducer function for a shuffle (wordfreq: 'reducer'); absent means the coordinator merges results. */
  reducer?: string;
  /** Reduce partitions R of the shuffle (default: one per core, 2 to 4, recorded with the job). */
  partitions?: number;
  /** Where shuffle intermediates and final outputs go (default: input bucket, `_jobs/<id>/`). */
  output?: { bucket: string; prefix: string };
  /** Passed to every mapper as `event.params` (grep: `{ pattern, flags? }`). */
  params?: Record<string, unknown>;
  /** Attempts per task before the job fails (default 4). */
  maxAttempts?: number;
  /** Cap on concurrent invocations the job may use (cascades ≤ cap/(fanout+1)); default 64. */
  concurrency?: number;
  /** Testing aid: mappers throw on attempts ≤ this number. */
  failAttempts?: number;
  /** Testing aid: mappers read `chunkBytes` at a time and pause `delayMs` after each (to provoke timeouts). */
  pace?: { chunkBytes: number; delayMs: number };
  /** Built-in mappers report provisional progress while they run (default true; false for benchmarks). */
  liveProgress?: boolean;
  cluster?: Partial<ClusterPrice>;
  /**
   * Where the tasks run and the objects live: `local` (default) or a named scale-out target
   * (`lambdata targets add`); the coordinator, manifest and progress stay on this engine.
   */
  target?: string;
  /**
   * Bytes of reduce state a reducer holds before it spills a sorted run to the store (default: a
   * quarter of the reducer's memory size). Set lower only to exercise spilling on small inputs.
   */
  reduceBudgetBytes?: number;
  /**
   * A pipeline: stages run in order, stage 1 over `input`, each later stage over the committed
   * output of the one before (`<output prefix>s<n>/out/`). `mapper` is then stage 1's mapper.
   */
  stages?: PipelineStageSpec[];
}

/** One stage of a pipeline: a job without its own input or output (the pipeline wires those). */
export type PipelineStageSpec = Omit<JobSpec, 'input' | 'output' | 'stages' | 'cluster' | 'target'>;

/** A pipeline stage as recorded with its job (`JobRecord.pipeline`). */
export interface PipelineStageRecord {
  /** 1-based. */
  stage: number;
  mapper: string;
  reducer?: string;
  status: JobStatus | 'pending';
  /** The run that holds this stage's task manifest (a rerun gets a fresh one: `<job>.s<n>.r<k>`). */
  runId: string | null;
  /** Runs so far (1 + reruns). */
  runs: number;
  /** Where the stage reads: the pipeline's input, or the previous stage's committed output. */
  input: { bucket: string; prefix: string };
  /** Where the stage writes; its committed output is under `<prefix>out/`. */
  output: { bucket: string; prefix: string };
  /** The latest run's counters and result. */
  counters: JobCounters | null;
  result: JobResult | null;
  /** What every run of this stage cost together (invocations, billed time and wall time summed). */
  cost: CostReport | null;
  error: { code: string; message: string } | null;
}

/**
 * Provisional figures of the map attempts still running, from their progress reports: not yet
 * committed, so never part of the result. A retried attempt's figures are dropped, and a task's
 * figures leave this set the moment its output commits (where the manifest takes over).
 */
export interface RunningCounts {
  bytes: number;
  words: number;
  lines: number;
  /** Whole objects the running attempts have finished. */
  keys: number;
}

/** Counters carried by every event, enough for live counters in the CLI and dashboard. */
export interface JobCounters {
  keysDone: number;
  keysTotal: number | null;
  bytesTotal: number | null;
  tasksDispatched: number;
  tasksDone: number;
  tasksRetried: number;
  words: number;
  lines: number;
  bytes: number;
  invocations: number;
  billedMs: number;
  costUsd: number;
  /** Provisional figures of running attempts; show `bytes + running.bytes` for live progress. */
  running?: RunningCounts;
}

/** Word, line and byte counts (wordcount; also reported by every built-in mapper). */
export interface TextCounts {
  words: number;
  lines: number;
  bytes: number;
}

/** One grep match with its object key and 1-based line number. */
export interface GrepMatch {
  key: string;
  line: number;
  text: string;
}

/** A job's final result; which fields are set depends on the mapper and mode. */
export interface JobResult {
  totals: TextCounts;
  objects: number;
  /** wordcount: per-object counts (aggregate and scatter). */
  perObject?: Record<string, TextCounts>;
  /** wordfreq: distinct words, the top 20, and where the sorted `word\tcount` partitions and summary live. */
  distinctWords?: number;
  top?: Array<[string, number]>;
  output?: { bucket: string; keys: string[]; summaryKey: string };
  /** Jobs with a reduce: sorted runs the reducers spilled to the store (0: every partition fit in memory). */
  spill?: { runs: number; bytes: number };
  /** grep: matches in key then line order. */
  matches?: GrepMatch[];
  /** Any other mapper: the merged (summed) JSON results. */
  custom?: unknown;
}

/** Cost report: what the job cost on Lambda and what a provisioned cluster would cost for the same wall time. */
export interface CostReport {
  invocations: number;
  billedMs: number;
  gbSeconds: number;
  lambdaUsd: number;
  /**
   * Of those, the invocations that failed (a function error, a timeout): billed as AWS bills
   * failures, by their REPORT line's billed duration. Absent on reports made before it was kept.
   */
  failures?: { invocations: number; billedMs: number; usd: number };
  wallMs: number;
  cluster: ClusterPrice & { billedSeconds: number; usd: number };
  /**
   * Invocations of the job still running when it ended (a straggler's twin that lost the race, or an
   * attempt of a failed task's stage): their cost is not in these figures yet. The report is updated,
   * and a `cost` event published, once they settle; absent when the report is final.
   */
  pending?: number;
  /**
   * Invocations still running when the engine stopped before they settled: only what they were billed
   * before the stop reached the report (nothing, for one that had not answered). Absent when none.
   */
  cutOff?: number;
}

/** The effective planning parameters of a job, recorded when it is first planned and reused on resume. */
export interface PlanParams {
  /** Bytes per split. */
  splitSize: number;
  /** Input bytes per map task (packing target). */
  taskBytes: number;
  /** Digest of which splits each task id covers (see planFingerprint). */
  fingerprint: string;
}

/** A job as stored and returned by `GET /_lambdata/jobs/:id`. */
export interface JobRecord {
  id: string;
  status: JobStatus;
  spec: JobSpec;
  createdAt: number;
  finishedAt: number | null;
  counters: JobCounters;
  result: JobResult | null;
  cost: CostReport | null;
  /**
   * Set when failed (`lambdata run --resume` reruns what is not committed). An engine that stops
   * mid-run leaves the job recorded as running, and resumes it by itself when it starts again.
   */
  error: { code: string; message: string } | null;
  /** Stages run so far: 'map', 'reduce'. A resumed job reruns only what is not committed. */
  stages: Array<{ name: string; status: JobStatus; tasks: number }>;
  /** How the map stage was planned (null until planned); a resume plans with the same parameters. */
  plan?: PlanParams | null;
  /** A pipeline's stages (absent for other jobs); counters, result and cost above cover them all. */
  pipeline?: PipelineStageRecord[] | null;
}

interface EventBase {
  jobId: string;
  /** 1, 2, 3 … per job: SSE ids, replay order. */
  seq: number;
  at: number;
  counters: JobCounters;
  /**
   * Pipelines only: the 1-based stage an event belongs to. A stage's own events (keys.listed,
   * stage.started, task.*, progress, object.result, log, warning) carry it; `counters` are always
   * the whole pipeline's (the stages' latest runs summed).
   */
  pipelineStage?: number;
  /** Pipelines only, with `pipelineStage`: the counters of that stage's current run. */
  stageCounters?: JobCounters;
}

/** The progress stream (SSE event name = `type`). Every event carries the running counters. */
export type JobEvent =
  | (EventBase & { type: 'job.started'; spec: JobSpec; resumed: boolean })
  | (EventBase & { type: 'keys.listed'; keys: number; bytes: number; splits: number; tasks: number })
  | (EventBase & { type: 'stage.started'; stage: string; tasks: number })
  | (EventBase & {
      type: 'task.dispatched';
      taskId: string;
      attempt: number;
      splits: number;
      bytes: number;
      backup: boolean;
    })
  | (EventBase & {
      type: 'task.done';
      taskId: string;
      attempt: number;
      durationMs: number;
      bytes: number;
      partial: boolean;
    })
  | (EventBase & { type: 'task.retried'; taskId: string; attempt: number; reason: string })
  /** Live progress: `bytesPerSecond` is the rate over the last PROGRESS_WINDOW_MS (committed + running bytes). */
  | (EventBase & { type: 'progress'; bytesPerSecond: number })
  /** One object's counts: committed, or `provisional` (from a running attempt's report; the commit repeats it). */
  | (EventBase & { type: 'object.result'; key: string; counts: TextCounts; provisional?: boolean })
  | (EventBase & { type: 'warning'; message: string })
  | (EventBase & { type: 'log'; functionName: string; requestId: string; message: string })
  | (EventBase & { type: 'cost'; cost: CostReport })
  | (EventBase & { type: 'job.completed'; result: JobResult; cost: CostReport })
  /** Pipelines: a stage begins (`rerun`: a rerun of one stage from its stored input). */
  | (EventBase & {
      type: 'pipeline.stage.started';
      pipelineStage: number;
      stages: number;
      mapper: string;
      reducer?: string;
      input: { bucket: string; prefix: string };
      rerun: boolean;
      resumed: boolean;
    })
  /** Pipelines: a stage committed its output; `cost` covers every run of the stage so far. */
  | (EventBase & {
      type: 'pipeline.stage.completed';
      pipelineStage: number;
      result: JobResult;
      cost: CostReport;
      output: { bucket: string; prefix: string };
    })
  /** Pipelines: a stage failed (a job.failed for the whole pipeline follows). */
  | (EventBase & { type: 'pipeline.stage.failed'; pipelineStage: number; error: { code: string; message: string } })
  | (EventBase & { type: 'job.failed'; error: { code: string; message: string } });

export type JobEventType = JobEvent['type'];
