/**
 * One run of a job, in explicit stages: list the input, plan it into tasks, map, shuffle (the
 * reduce tasks, one per partition of the map outputs), reduce, and commit the result and cost
 * report, publishing progress events all along. Task outputs are committed through the
 * manifest, so a resumed run applies what is committed and runs only what is missing.
 */

import { availableParallelism } from 'node:os';
import { buffer } from 'node:stream/consumers';
import { InvalidParameterValue } from '../shared/errors.js';
import { BGZIP_INDEX_SUFFIX } from './bgzip.js';
import { NoInputObjects, PlanChanged } from './errors.js';
import { sweepIntermediates } from './intermediates.js';
import { finishedSplits, mapStageTask, progressIntervalMs, remainderOf, type ShuffleTarget } from './map-tasks.js';
import { ResultAccumulator } from './merge.js';
import {
  DEFAULT_FANOUT,
  type InputObject,
  JOB_OUTPUT_PREFIX,
  listInput,
  type MapPlan,
  type PlannedTask,
  planListed,
} from './planner.js';
import type { MapResult, ReduceEvent, ReduceResult, SplitSpec } from './protocol.js';
import { RESULTS_FOLDER, type ResultReference, type ResultStore } from './result-refs.js';
import { type RunDeps, RunProgress } from './run-progress.js';
import { runStage, type StageOptions, type StageTask } from './scheduler.js';
import type { JobRecord, JobSpec } from './types.js';

export type { EventBody, JobProgressReport, RunDeps } from './run-progress.js';

/** Where a job writes its shuffle partitions, reduce outputs and summary. */
interface OutputLocation {
  bucket: string;
  prefix: string;
}

const DEFAULT_CONCURRENCY = 64;
const DEFAULT_ATTEMPTS = 4;
/**
 * Reduce partitions of a shuffle when the spec names none: one per core, 2 to 4. More reducers
 * than cores only take turns, and each partition costs every map task one more object to write
 * (a durable PUT) and the reduce one more output; jobs record the number they were given.
 */
const DEFAULT_PARTITIONS = Math.min(4, Math.max(2, availableParallelism()));
/** What a job recorded before its spec carried a default number of partitions ran with. */
const UNRECORDED_PARTITIONS = 4;
const SHUFFLE_MAPPERS = new Set(['wordfreq']);
const CASCADE = 'cascade';

/** Runs (or resumes) a job to completion; the record is updated in place and in the store. */
export async function runJob(record: JobRecord, deps: RunDeps, resumed: boolean): Promise<void> {
  const run = new JobRun(record, deps, resumed);
  try {
    await run.run();
  } finally {
    run.close();
    // Invocations that outlive the run (a straggler's twin) are billed to it when they end: the job's
    // cost report takes them in then, and its intermediates are swept after.
    const settling = run.settle();
    deps.inFlight?.add(settling);
    void settling.then(() => deps.inFlight?.delete(settling));
  }
}

/**
 * A job run. `run()` calls the stages in order; each stage is a method taking the previous
 * stage's output, so a stage can be fed from elsewhere (a pipeline listing another job's output).
 */
export class JobRun {
  readonly #record: JobRecord;
  readonly #spec: JobSpec;
  readonly #deps: RunDeps;
  readonly #resumed: boolean;
  readonly #progress: RunProgress;
  readonly #accumulator: ResultAccumulator;
  readonly #fanout: number;
  /** How often each mapper reports progress; set once the plan says how many run at once. */
  #progressIntervalMs = progressIntervalMs(1);
  readonly #maxCascades: number;
  /** The reducer, for a job with a shuffle. */
  readonly #reducer: string | undefined;
  readonly #output: OutputLocation;
  /** Where tasks write results over Lambda's response limit (read back by `#readResult`). */
  readonly #results: ResultStore;
  /** Where mappers write shuffle partitions, for a job with a shuffle. */
  readonly #shuffleTarget: ShuffleTarget | undefined;
  /** Splits of each input key not yet finished, to tell when an object is done. */
  readonly #outstandingSplits = new Map<string, number>();
  /** The splits of each map task run in this process (remainders included), by task id. */
  readonly #taskSplits = new Map<string, SplitSpec[]>();

  constructor(record: JobRecord, deps: RunDeps, resumed: boolean) {
    const spec = record.spec;
    this.#record = record;
    this.#spec = spec;
    this.#deps = deps;
    this.#resumed = resumed;
    this.#progress = new RunProgress(record, deps);
    this.#accumulator = new ResultAccumulator(spec.mapper === 'grep');
    this.#fanout = spec.fanout ?? DEFAULT_FANOUT;
    this.#maxCascades = Math.max(1, Math.floor((spec.concurrency ?? DEFAULT_CONCURRENCY) / (this.#fanout + 1)));
    const shuffle = hasShuffle(spec);
    this.#reducer = shuffle ? (spec.reducer ?? 'reducer') : undefined;
    this.#output = spec.output ?? defaultOutput(spec, record.id);
    this.#results = { bucket: this.#output.bucket, prefix: `${this.#output.prefix}${RESULTS_FOLDER}` };
    this.#shuffleTarget = shuffle
      ? {
          bucket: this.#output.bucket,
          prefix: this.#output.prefix,
          partitions: spec.partitions ?? UNRECORDED_PARTITIONS,
        }
      : undefined;
  }

  /**
   * Runs every stage in order and marks the record succeeded.
   * @throws PlanChanged when a resumed job's input no longer plans into the same tasks;
   * TaskFailed when a task runs out of attempts; whatever listing, planning or invoking throws.
   */
  async run(): Promise<void> {
    const reducer = this.#reducer;
    this.#progress.emit({ type: 'job.started', spec: this.#spec, resumed: this.#resumed });
    await this.#deps.ensureFunctions([CASCADE, this.#spec.mapper, ...(reducer ? [reducer] : [])]);
    const plan = await this.plan(await this.list());
    await this.map(plan);
    let summaryKey: string | undefined;
    if (reducer) {
      await this.reduce(this.shuffle(), reducer);
      summaryKey = `${this.#output.prefix}summary.json`;
    }
    // Every task is committed, so nothing reads the intermediates again: they go before the job reports its
    // end (a resume after a crash here finds every reduce committed and needs no partition).
    await sweepIntermediates(this.#deps.objects, { ...this.#output, shuffle: reducer !== undefined });
    await this.commit(summaryKey);
  }

  /** Ends the run's progress reporting (call once the run is over, whatever its outcome). */
  close(): void {
    this.#progress.close();
  }

  /** Resolves once the run's invocations have all ended, its cost report final (see RunProgress.settle). */
  settle(): Promise<void> {
    return this.#progress.settle();
  }

  /**
   * List stage: the input objects (bgzip index objects included, the planner pairs them); job
   * outputs are never listed as input.
   * @throws NoInputObjects when nothing matched.
   */
  async list(): Promise<InputObject[]> {
    const listed: InputObject[] = [];
    for await (const object of listInput(this.#deps.objects, this.#spec.input, this.#output)) listed.push(object);
    if (!listed.some((o) => !o.key.endsWith(BGZIP_INDEX_SUFFIX))) throw new NoInputObjects(nothingMatched(this.#spec));
    return listed;
  }

  /**
   * Plan stage: splits and tasks, recorded with the job before any task can commit (so a resume
   * on another host plans the same tasks); announces the listing.
   * @throws PlanChanged when the recorded plan no longer matches the input.
   */
  async plan(listed: InputObject[]): Promise<MapPlan> {
    const record = this.#record;
    const counters = record.counters;
    const plan = await planListed(this.#deps.objects, listed, this.#spec, this.#maxCascades * this.#fanout, {
      parallelism: this.#deps.parallelism,
      recorded: record.plan ?? undefined,
    });
    this.#progressIntervalMs = progressIntervalMs(Math.min(plan.tasks.length, this.#maxCascades * this.#fanout));
    if (record.plan && record.plan.fingerprint !== plan.params.fingerprint) {
      throw new PlanChanged(
        `job ${record.id} cannot resume: its input no longer plans into the same tasks as when it started ` +
          '(objects were added, removed or changed); submit it again as a new job',
      );
    }
    if (!record.plan) {
      if (this.#resumed && this.#deps.store.committed(record.id, 'map').length > 0) {
        this.#progress.emit({
          type: 'warning',
          message: 'this job was planned before plans were recorded; committed results are matched by task id',
        });
      }
      record.plan = plan.params;
      this.#progress.save(true);
    }
    counters.keysTotal = plan.objects.length;
    counters.bytesTotal = plan.bytes;
    counters.keysDone = 0;
    for (const object of plan.objects) this.#accumulator.addObject(object.key);
    for (const [key, n] of plan.splitsPerKey) this.#outstandingSplits.set(key, n);
    for (const [key, n] of this.#outstandingSplits) if (n === 0) this.#finishKey(key);
    this.#progress.emit({
      type: 'keys.listed',
      keys: plan.objects.length,
      bytes: plan.bytes,
      splits: plan.splits,
      tasks: plan.tasks.length,
    });
    return plan;
  }

  /** Map stage: applies committed map outputs (following their remainders), then runs the rest. */
  async map(plan: MapPlan): Promise<void> {
    const record = this.#record;
    const committed = new Map(
      this.#deps.store.committed(record.id, 'map').map((e) => [e.taskId, e.result as MapResult]),
    );
    const toRun: StageTask[] = [];
    for (const planned of plan.tasks) {
      let task: PlannedTask | undefined = planned;
      while (task) {
        const result = committed.get(task.taskId);
        if (!result) {
          this.#taskSplits.set(task.taskId, task.splits);
          toRun.push(this.#mapTask(task));
          break;
        }
        // Committed in an earlier run: dispatched and done then, so the counters still add up.
        record.counters.tasksDispatched++;
        task = this.#applyMap(task, result);
      }
    }
    record.stages.push({ name: 'map', status: 'running', tasks: plan.tasks.length });
    this.#progress.emit({ type: 'stage.started', stage: 'map', tasks: toRun.length });
    await runStage(
      this.#deps.invoker,
      this.#stageOptions(this.#spec.mapper, this.#fanout, toRun),
      this.#progress.hooks('map', this.#spec.mapper, (task, result) => {
        const splits = this.#taskSplits.get(task.taskId) ?? [];
        const next = this.#applyMap({ taskId: task.taskId, splits }, result as MapResult);
        if (!next) return [];
        this.#taskSplits.set(next.taskId, next.splits);
        return [this.#mapTask(next)];
      }),
    );
    markStage(record, 'map');
  }

  /**
   * Shuffle stage: one reduce task per partition, over the partition files the committed map
   * outputs wrote; partitions whose reduce output is already committed are applied instead.
   */
  shuffle(): StageTask[] {
    const record = this.#record;
    const output = this.#output;
    const partitions = this.#spec.partitions ?? UNRECORDED_PARTITIONS;
    const committed = new Map(
      this.#deps.store.committed(record.id, 'reduce').map((e) => [e.taskId, e.result as ReduceResult]),
    );
    const tasks: StageTask[] = [];
    for (let r = 0; r < partitions; r++) {
      const taskId = `r${r}`;
      const done = committed.get(taskId);
      if (done) {
        this.#accumulator.applyReduce(done);
        record.counters.tasksDispatched++;
        record.counters.tasksDone++;
        continue;
      }
      const event: ReduceEvent = {
        jobId: record.id,
        partition: r,
        bucket: output.bucket,
        inputs: this.#accumulator.partitionInputs(r),
        outputKey: `${output.prefix}out/part-r-${String(r).padStart(5, '0')}`,
        spillPrefix: `${output.prefix}spill/r${r}/`,
        ...(this.#spec.reduceBudgetBytes ? { memoryBudget: this.#spec.reduceBudgetBytes } : {}),
        results: this.#results,
      };
      tasks.push({ taskId, bytes: 0, splits: event.inputs.length, payload: (attempt) => ({ ...event, attempt }) });
    }
    return tasks;
  }

  /** Reduce stage: runs the reduce tasks still to run with `reducer`. */
  async reduce(tasks: StageTask[], reducer: string): Promise<void> {
    const partitions = this.#spec.partitions ?? UNRECORDED_PARTITIONS;
    this.#record.stages.push({ name: 'reduce', status: 'running', tasks: partitions });
    this.#progress.emit({ type: 'stage.started', stage: 'reduce', tasks: tasks.length });
    await runStage(
      this.#deps.invoker,
      this.#stageOptions(reducer, partitions, tasks),
      this.#progress.hooks('reduce', reducer, (_task, result) => {
        this.#accumulator.applyReduce(result as ReduceResult);
        this.#record.counters.tasksDone++;
        return [];
      }),
    );
    markStage(this.#record, 'reduce');
  }

  /**
   * Commit stage: the job's result and cost report onto the record (and, after a reduce, the
   * summary object next to the reduce outputs), then the closing events and a final save.
   */
  async commit(summaryKey?: string): Promise<void> {
    const record = this.#record;
    const output = this.#output;
    const result = this.#accumulator.finish(summaryKey ? { output: { bucket: output.bucket, summaryKey } } : {});
    const cost = this.#progress.endCost();
    if (summaryKey) {
      const summary = {
        jobId: record.id,
        totals: result.totals,
        distinctWords: result.distinctWords,
        top: result.top,
        parts: result.output?.keys,
      };
      await this.#deps.objects.putObject(output.bucket, summaryKey, JSON.stringify(summary, null, 2));
    }
    record.status = 'succeeded';
    record.finishedAt = Date.now();
    record.result = result;
    record.cost = cost;
    this.#progress.emit({ type: 'cost', cost });
    this.#progress.emit({ type: 'job.completed', result, cost });
    this.#progress.save(true);
  }

  #stageOptions(functionName: string, fanout: number, tasks: StageTask[]): StageOptions {
    return {
      jobId: this.#record.id,
      functionName,
      cascadeName: CASCADE,
      fanout,
      maxCascades: this.#maxCascades,
      maxAttempts: this.#spec.maxAttempts ?? DEFAULT_ATTEMPTS,
      tasks,
      signal: this.#deps.signal,
      results: this.#results,
      readResult: (reference) => this.#readResult(reference),
      inFlight: this.#progress.inFlight,
    };
  }

  /**
   * A result a task stored instead of answering (over the response limit), read from the job's
   * objects. @throws InvalidParameterValue for a reference outside this job's result folder.
   */
  async #readResult({ resultRef }: ResultReference): Promise<unknown> {
    const store = this.#results;
    if (resultRef.bucket !== store.bucket || !resultRef.key.startsWith(store.prefix) || resultRef.key.includes('..'))
      throw new InvalidParameterValue(
        `a stored result must lie under s3://${store.bucket}/${store.prefix}, not s3://${resultRef.bucket}/${resultRef.key}`,
      );
    const { body } = await this.#deps.objects.getObject(resultRef.bucket, resultRef.key);
    return JSON.parse((await buffer(body)).toString('utf8'));
  }

  #mapTask(task: PlannedTask): StageTask {
    return mapStageTask(this.#record.id, this.#spec, task, {
      ...(this.#shuffleTarget ? { shuffle: this.#shuffleTarget } : {}),
      results: this.#results,
      progressIntervalMs: this.#progressIntervalMs,
      localReads: this.#deps.localReads === true,
    });
  }

  /** Applies a committed map output; returns the remainder task, if any. */
  #applyMap(task: { taskId: string; splits: SplitSpec[] }, result: MapResult): PlannedTask | undefined {
    const counters = this.#record.counters;
    const delta = this.#accumulator.applyMap(result);
    counters.words += delta.words;
    counters.lines += delta.lines;
    counters.bytes += delta.bytes;
    counters.tasksDone++;
    for (const split of finishedSplits(task, result)) {
      const left = (this.#outstandingSplits.get(split.key) ?? 1) - 1;
      this.#outstandingSplits.set(split.key, left);
      if (left === 0) this.#finishKey(split.key);
    }
    return remainderOf(task, result);
  }

  #finishKey(key: string): void {
    this.#record.counters.keysDone++;
    // Every job with per-object figures feeds the dashboard's scatter plot, not only scatter-mode jobs.
    const counts = this.#accumulator.perObject.get(key);
    if (counts) this.#progress.emit({ type: 'object.result', key, counts });
  }
}

/** Where a job writes its outputs unless told: the input bucket, under the reserved job output prefix. */
export function defaultOutput(spec: JobSpec, jobId: string): OutputLocation {
  return { bucket: spec.input.bucket, prefix: `${JOB_OUTPUT_PREFIX}${jobId}/` };
}

/** Whether a job's map outputs are shuffled to reducers (a reducer named, or a mapper that shuffles). */
export function hasShuffle(spec: JobSpec): boolean {
  return !spec.stages && (spec.reducer !== undefined || SHUFFLE_MAPPERS.has(spec.mapper));
}

/** The message of a job whose input matched nothing. */
export function nothingMatched(spec: JobSpec): string {
  const input = spec.input;
  return input.keys
    ? `nothing matched: none of the ${input.keys.length} keys given exist in bucket ${input.bucket}`
    : `nothing matched s3://${input.bucket}/${input.prefix ?? ''}: no objects there (job outputs under ${JOB_OUTPUT_PREFIX} are never input)`;
}

/** Spec defaults filled in, as stored with the job. */
export function normalizeSpec(spec: JobSpec): JobSpec {
  if (spec.stages) return { ...spec, mapper: spec.stages[0]?.mapper as string };
  return {
    format: 'auto',
    mode: 'aggregate',
    fanout: DEFAULT_FANOUT,
    ...(hasShuffle(spec) ? { partitions: DEFAULT_PARTITIONS } : {}),
    ...spec,
  };
}

function markStage(record: JobRecord, name: string): void {
  const stage = record.stages.findLast((s) => s.name === name);
  if (stage) stage.status = 'succeeded';
}
