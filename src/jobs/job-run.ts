/**
 * One run of a job: list and plan, the map stage, the reduce stage for a shuffle, the summary
 * and the cost report, publishing progress events all along. Committed outputs live in the
 * manifest, so a resumed run applies them and runs only what is missing.
 */
import type { InvocationRecord, Invoker } from '../invoke/index.js';
import type { Logger } from '../shared/log.js';
import { costReport } from './cost.js';
import { PlanChanged } from './errors.js';
import type { JobStore } from './job-store.js';
import { ResultAccumulator } from './merge.js';
import { type ObjectSource, type PlannedTask, planMap, splitBytes } from './planner.js';
import type { MapEvent, MapResult, ReduceEvent, ReduceResult, SplitSpec } from './protocol.js';
import { runStage, type StageHooks, type StageTask } from './scheduler.js';
import type { JobEvent, JobRecord, JobSpec } from './types.js';

/** Distributes `Omit<JobEvent, common fields>` values: the fields a caller supplies for an event. */
export type EventBody = JobEvent extends infer E
  ? E extends JobEvent
    ? Omit<E, 'jobId' | 'seq' | 'at' | 'counters'>
    : never
  : never;

/** What a run needs from the service. */
export interface RunDeps {
  store: JobStore;
  invoker: Invoker;
  objects: ObjectSource;
  log: Logger;
  emit(record: JobRecord, body: EventBody): void;
  childRecord(requestId: string): InvocationRecord | undefined;
  /** The log lines of one of the job's invocations (each invocation's lines are handed out once). */
  takeLogLines(requestId: string): string[];
  ensureFunctions(names: string[]): Promise<void>;
  signal: AbortSignal;
  /** Cores the planner sizes tasks for (default: this host's availableParallelism). */
  parallelism?: number;
}

const DEFAULT_FANOUT = 10;
const DEFAULT_CONCURRENCY = 64;
const DEFAULT_ATTEMPTS = 4;
const DEFAULT_PARTITIONS = 4;
const SHUFFLE_MAPPERS = new Set(['wordfreq']);

/** Runs (or resumes) a job to completion; the record is updated in place and in the store. */
export async function runJob(record: JobRecord, deps: RunDeps, resumed: boolean): Promise<void> {
  const spec = record.spec;
  const started = Date.now();
  const fanout = spec.fanout ?? DEFAULT_FANOUT;
  const maxCascades = Math.max(1, Math.floor((spec.concurrency ?? DEFAULT_CONCURRENCY) / (fanout + 1)));
  const shuffle = (spec.reducer ?? (SHUFFLE_MAPPERS.has(spec.mapper) ? 'reducer' : undefined)) !== undefined;
  const reducer = spec.reducer ?? 'reducer';
  const output = spec.output ?? { bucket: spec.input.bucket, prefix: `_jobs/${record.id}/` };
  const accumulator = new ResultAccumulator(spec.mapper === 'grep');
  const counters = record.counters;
  const seenRequests = new Set<string>();
  const usage = { invocations: 0, billedMs: 0, gbSeconds: 0, costUsd: 0 };
  let lastSave = 0;

  const save = (force = false) => {
    if (!force && Date.now() - lastSave < 500) return;
    lastSave = Date.now();
    deps.store.update(record);
  };
  const bill = (rec: InvocationRecord) => {
    if (seenRequests.has(rec.requestId)) return;
    seenRequests.add(rec.requestId);
    usage.invocations++;
    usage.billedMs += rec.billedDurationMs;
    usage.gbSeconds += rec.gbSeconds;
    usage.costUsd += rec.costUsd;
    counters.invocations = usage.invocations;
    counters.billedMs = usage.billedMs;
    counters.costUsd = usage.costUsd;
    for (const message of deps.takeLogLines(rec.requestId)) {
      deps.emit(record, { type: 'log', functionName: rec.functionName, requestId: rec.requestId, message });
    }
  };

  deps.emit(record, { type: 'job.started', spec, resumed });
  await deps.ensureFunctions(['cascade', spec.mapper, ...(shuffle ? [reducer] : [])]);

  // Map stage.
  const plan = await planMap(deps.objects, spec, maxCascades * fanout, {
    parallelism: deps.parallelism,
    recorded: record.plan ?? undefined,
  });
  if (record.plan && record.plan.fingerprint !== plan.params.fingerprint) {
    throw new PlanChanged(
      `job ${record.id} cannot resume: its input no longer plans into the same tasks as when it started ` +
        '(objects were added, removed or changed); submit it again as a new job',
    );
  }
  if (!record.plan) {
    if (resumed && deps.store.committed(record.id, 'map').length > 0) {
      deps.emit(record, {
        type: 'warning',
        message: 'this job was planned before plans were recorded; committed results are matched by task id',
      });
    }
    // Recorded before any task can commit, so a resume on another host plans the same tasks.
    record.plan = plan.params;
    save(true);
  }
  counters.keysTotal = plan.objects.length;
  counters.bytesTotal = plan.bytes;
  counters.keysDone = 0;
  for (const object of plan.objects) accumulator.addObject(object.key);
  const outstandingSplits = new Map(plan.splitsPerKey);
  for (const [key, n] of outstandingSplits) if (n === 0) finishKey(key);
  deps.emit(record, {
    type: 'keys.listed',
    keys: plan.objects.length,
    bytes: plan.bytes,
    splits: plan.splits,
    tasks: plan.tasks.length,
  });

  const mapTask = (task: PlannedTask): StageTask => ({
    taskId: task.taskId,
    bytes: task.bytes,
    splits: task.splits.length,
    payload: (attempt): MapEvent => ({
      jobId: record.id,
      taskId: task.taskId,
      attempt,
      splits: task.splits,
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.failAttempts ? { failAttempts: spec.failAttempts } : {}),
      ...(spec.pace ? { pace: spec.pace } : {}),
      ...(shuffle
        ? {
            shuffle: {
              bucket: output.bucket,
              prefix: output.prefix,
              partitions: spec.partitions ?? DEFAULT_PARTITIONS,
            },
          }
        : {}),
    }),
  });
  const remainderOf = (task: { taskId: string; splits: SplitSpec[] }, result: MapResult): PlannedTask | undefined => {
    if (result.remaining.length === 0) return undefined;
    const [base, n] = task.taskId.split('.');
    return {
      taskId: `${base}.${Number(n ?? 0) + 1}`,
      splits: result.remaining,
      bytes: result.remaining.reduce((s, x) => s + splitBytes(x), 0),
    };
  };
  /** Applies a committed map output; returns the remainder task, if any. */
  const applyMap = (task: { taskId: string; splits: SplitSpec[] }, result: MapResult): PlannedTask | undefined => {
    const delta = accumulator.applyMap(result);
    counters.words += delta.words;
    counters.lines += delta.lines;
    counters.bytes += delta.bytes;
    counters.tasksDone++;
    // A split is finished unless it is still in the remainder (its tail or all of it).
    const unfinished = new Set(result.remaining.map(splitId));
    for (const split of task.splits) {
      if (unfinished.has(splitId(split))) continue;
      const left = (outstandingSplits.get(split.key) ?? 1) - 1;
      outstandingSplits.set(split.key, left);
      if (left === 0) finishKey(split.key);
    }
    return remainderOf(task, result);
  };

  // Resume: apply what is committed, follow remainders to the tasks still to run.
  const committedMap = new Map(deps.store.committed(record.id, 'map').map((e) => [e.taskId, e.result as MapResult]));
  const toRun: StageTask[] = [];
  const taskSplits = new Map<string, SplitSpec[]>();
  for (const planned of plan.tasks) {
    let task: PlannedTask | undefined = planned;
    while (task) {
      const result = committedMap.get(task.taskId);
      if (!result) {
        taskSplits.set(task.taskId, task.splits);
        toRun.push(mapTask(task));
        break;
      }
      task = applyMap(task, result);
    }
  }
  record.stages.push({ name: 'map', status: 'running', tasks: plan.tasks.length });
  deps.emit(record, { type: 'stage.started', stage: 'map', tasks: toRun.length });

  const hooks = (stage: string, onCommit: (task: StageTask, result: unknown) => StageTask[]): StageHooks => ({
    dispatched: (task, attempt, backup) => {
      counters.tasksDispatched++;
      deps.emit(record, {
        type: 'task.dispatched',
        taskId: task.taskId,
        attempt,
        splits: task.splits,
        bytes: task.bytes,
        backup,
      });
    },
    completed: (task, attempt, result, durationMs) => {
      if (!deps.store.commit(record.id, { taskId: task.taskId, stage, attempt, result })) return null;
      const follow = onCommit(task, result);
      const partial = follow.length > 0;
      deps.emit(record, { type: 'task.done', taskId: task.taskId, attempt, durationMs, bytes: task.bytes, partial });
      const elapsed = (Date.now() - started) / 1000;
      deps.emit(record, { type: 'progress', bytesPerSecond: elapsed > 0 ? Math.round(counters.bytes / elapsed) : 0 });
      save();
      return follow;
    },
    retried: (task, attempt, reason) => {
      counters.tasksRetried++;
      deps.emit(record, { type: 'task.retried', taskId: task.taskId, attempt, reason });
      deps.emit(record, {
        type: 'log',
        functionName: stage === 'map' ? spec.mapper : reducer,
        requestId: '',
        message: reason,
      });
    },
    billed: bill,
    childRecord: deps.childRecord,
  });

  await runStage(
    deps.invoker,
    {
      jobId: record.id,
      functionName: spec.mapper,
      cascadeName: 'cascade',
      fanout,
      maxCascades,
      maxAttempts: spec.maxAttempts ?? DEFAULT_ATTEMPTS,
      tasks: toRun,
      signal: deps.signal,
    },
    hooks('map', (task, result) => {
      const splits = taskSplits.get(task.taskId) ?? [];
      const next = applyMap({ taskId: task.taskId, splits }, result as MapResult);
      if (!next) return [];
      taskSplits.set(next.taskId, next.splits);
      return [mapTask(next)];
    }),
  );
  markStage(record, 'map');

  // Reduce stage (shuffle).
  let summaryKey: string | undefined;
  if (shuffle) {
    const partitions = spec.partitions ?? DEFAULT_PARTITIONS;
    const committedReduce = new Map(
      deps.store.committed(record.id, 'reduce').map((e) => [e.taskId, e.result as ReduceResult]),
    );
    const reduceTasks: StageTask[] = [];
    for (let r = 0; r < partitions; r++) {
      const taskId = `r${r}`;
      const done = committedReduce.get(taskId);
      if (done) {
        accumulator.applyReduce(done);
        continue;
      }
      const event: ReduceEvent = {
        jobId: record.id,
        partition: r,
        bucket: output.bucket,
        inputs: accumulator.partitionInputs(r),
        outputKey: `${output.prefix}out/part-r-${String(r).padStart(5, '0')}`,
      };
      reduceTasks.push({ taskId, bytes: 0, splits: event.inputs.length, payload: () => event });
    }
    record.stages.push({ name: 'reduce', status: 'running', tasks: partitions });
    deps.emit(record, { type: 'stage.started', stage: 'reduce', tasks: reduceTasks.length });
    await runStage(
      deps.invoker,
      {
        jobId: record.id,
        functionName: reducer,
        cascadeName: 'cascade',
        fanout: partitions,
        maxCascades,
        maxAttempts: spec.maxAttempts ?? DEFAULT_ATTEMPTS,
        tasks: reduceTasks,
        signal: deps.signal,
      },
      hooks('reduce', (_task, result) => {
        accumulator.applyReduce(result as ReduceResult);
        return [];
      }),
    );
    markStage(record, 'reduce');
    summaryKey = `${output.prefix}out/_summary.json`;
  }

  const result = accumulator.finish(summaryKey ? { output: { bucket: output.bucket, summaryKey } } : {});
  const cost = costReport(usage, Date.now() - started, spec.cluster);
  if (summaryKey) {
    const summary = {
      jobId: record.id,
      totals: result.totals,
      distinctWords: result.distinctWords,
      top: result.top,
      parts: result.output?.keys,
    };
    await deps.objects.putObject(output.bucket, summaryKey, JSON.stringify(summary, null, 2));
  }
  record.status = 'succeeded';
  record.finishedAt = Date.now();
  record.result = result;
  record.cost = cost;
  deps.emit(record, { type: 'cost', cost });
  deps.emit(record, { type: 'job.completed', result, cost });
  save(true);

  function finishKey(key: string) {
    counters.keysDone++;
    if (spec.mode === 'scatter') {
      const counts = accumulator.perObject.get(key) ?? { words: 0, lines: 0, bytes: 0 };
      deps.emit(record, { type: 'object.result', key, counts });
    }
  }
}

function markStage(record: JobRecord, name: string): void {
  const stage = record.stages.findLast((s) => s.name === name);
  if (stage) stage.status = 'succeeded';
}

function splitId(split: SplitSpec): string {
  return `${split.key}\u0000${split.offset ?? 0}\u0000${split.format === 'text' ? split.end : ''}`;
}

/** Spec defaults filled in, as stored with the job. */
export function normalizeSpec(spec: JobSpec): JobSpec {
  return { format: 'auto', mode: 'aggregate', fanout: DEFAULT_FANOUT, ...spec };
}
