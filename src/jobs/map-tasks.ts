/**
 * Map tasks as the scheduler runs them: the event a mapper receives for an attempt, and the
 * remainder task that picks up what a mapper left when it stopped before its deadline.
 */
import { type PlannedTask, splitBytes } from './planner.js';
import type { MapEvent, MapResult, ResultStore, SplitSpec } from './protocol.js';
import type { StageTask } from './scheduler.js';
import type { JobSpec } from './types.js';

/** Reports a second a job's running mappers send together, about (each a few times a second at most). */
const JOB_REPORTS_PER_SECOND = 8;
const MIN_REPORT_INTERVAL_MS = 400;
const MAX_REPORT_INTERVAL_MS = 1_000;

/**
 * How often each running mapper reports its provisional progress when `parallel` run at once: the job
 * as a whole gets about JOB_REPORTS_PER_SECOND reports a second (each costs the engine a signed
 * request and an event), each mapper one every 400 ms to 1 s, so counters move smoothly at any width.
 */
export function progressIntervalMs(parallel: number): number {
  const even = Math.round((1000 * Math.max(1, parallel)) / JOB_REPORTS_PER_SECOND);
  return Math.min(MAX_REPORT_INTERVAL_MS, Math.max(MIN_REPORT_INTERVAL_MS, even));
}

/** Where the mappers of a job with a shuffle write their partitions. */
export type ShuffleTarget = NonNullable<MapEvent['shuffle']>;

/**
 * A planned map task as a stage task; its payload is the mapper's event for an attempt (with where
 * to write a result over the response limit, `results`).
 */
export function mapStageTask(
  jobId: string,
  spec: JobSpec,
  task: PlannedTask,
  options: { shuffle?: ShuffleTarget; results?: ResultStore; progressIntervalMs: number; localReads?: boolean },
): StageTask {
  const { shuffle, results, progressIntervalMs: intervalMs } = options;
  const objects = options.localReads ? objectsRead(task.splits) : [];
  return {
    taskId: task.taskId,
    bytes: task.bytes,
    splits: task.splits.length,
    ...(objects.length > 0 ? { objects } : {}),
    payload: (attempt, secret): MapEvent => ({
      jobId,
      taskId: task.taskId,
      attempt,
      splits: task.splits,
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.failAttempts ? { failAttempts: spec.failAttempts } : {}),
      ...(spec.pace ? { pace: spec.pace } : {}),
      ...(shuffle ? { shuffle } : {}),
      ...(results ? { results } : {}),
      ...(spec.liveProgress === false ? {} : { progress: { intervalMs, secret } }),
      ...(objects.length > 0 ? { localReads: { secret } } : {}),
    }),
  };
}

/** The objects a task's splits read from the store (those not inlined into its event), each once. */
function objectsRead(splits: SplitSpec[]): Array<{ bucket: string; key: string }> {
  const seen = new Set<string>();
  const objects: Array<{ bucket: string; key: string }> = [];
  for (const { bucket, key, inline } of splits) {
    const id = `${bucket}/${key}`;
    if (inline !== undefined || seen.has(id)) continue;
    seen.add(id);
    objects.push({ bucket, key });
  }
  return objects;
}

/** The task that picks up a map output's unfinished splits (`m3` → `m3.1` → `m3.2`), if any. */
export function remainderOf(task: { taskId: string; splits: SplitSpec[] }, result: MapResult): PlannedTask | undefined {
  if (result.remaining.length === 0) return undefined;
  const [base, n] = task.taskId.split('.');
  return {
    taskId: `${base}.${Number(n ?? 0) + 1}`,
    splits: result.remaining,
    bytes: result.remaining.reduce((s, x) => s + splitBytes(x), 0),
  };
}

/** The splits of a task its output finished: all but those still in the remainder (their tail or all of them). */
export function finishedSplits(task: { splits: SplitSpec[] }, result: MapResult): SplitSpec[] {
  const unfinished = new Set(result.remaining.map(splitId));
  return task.splits.filter((split) => !unfinished.has(splitId(split)));
}

function splitId(split: SplitSpec): string {
  return `${split.key}\u0000${split.offset ?? 0}\u0000${split.format === 'text' ? split.end : ''}`;
}
