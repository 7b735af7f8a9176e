/**
 * Step-isolated pipelines: a list of stages, each an ordinary job run (its own task manifest, plan
 * and outputs) over the committed output of the stage before. A stage's input stays stored, so any
 * one stage can be rerun from it without rerunning the others; the pipeline's record, counters,
 * cost and progress events cover every stage.
 */
import { costReport, emptyUsage } from './cost.js';
import { StageNotRerunnable } from './errors.js';
import { defaultOutput } from './job-run.js';
import type { JobStore } from './job-store.js';
import { zeroCounters } from './job-store.js';
import type { ObjectSource } from './planner.js';
import type { EventBody } from './run-progress.js';
import type { CostReport, JobCounters, JobRecord, JobSpec, PipelineStageRecord } from './types.js';

/** What a pipeline needs from the service. */
export interface PipelineDeps {
  store: JobStore;
  objects: ObjectSource;
  /** Aborted when the engine stops: the running stage stays recorded as running, to resume. */
  signal: AbortSignal;
  /** Publishes an event of the pipeline. */
  emit(record: JobRecord, body: EventBody): void;
  /**
   * Runs one stage's run to completion (updating `run` in place and in the store), handing each
   * of its events to `forward` instead of publishing them.
   */
  runStage(run: JobRecord, resumed: boolean, forward: (body: EventBody) => void): Promise<void>;
}

/** How a pipeline run starts: fresh, resumed after an interruption, or a rerun of one stage. */
export interface PipelineStart {
  resumed: boolean;
  rerunStage?: number;
}

/** Events of a stage's run the pipeline replaces with its own (`pipeline.stage.*`, its cost and end). */
const STAGE_OWN_EVENTS = new Set(['job.started', 'job.completed', 'job.failed', 'cost']);
/** The object a stage without a reducer commits as its output (its result, as JSON). */
const RESULT_OBJECT = 'result.json';

/** The stage records of a new pipeline: stage 1 reads the job's input, stage n the output of stage n-1. */
export function planPipeline(record: JobRecord): PipelineStageRecord[] {
  const spec = record.spec;
  const base = spec.output ?? defaultOutput(spec, record.id);
  const stages: PipelineStageRecord[] = [];
  for (const [i, stage] of (spec.stages ?? []).entries()) {
    const previous = stages[i - 1];
    stages.push({
      stage: i + 1,
      mapper: stage.mapper,
      ...(stage.reducer ? { reducer: stage.reducer } : {}),
      status: 'pending',
      runId: null,
      runs: 0,
      input: previous
        ? { bucket: previous.output.bucket, prefix: `${previous.output.prefix}out/` }
        : { bucket: spec.input.bucket, prefix: spec.input.prefix ?? '' },
      output: { bucket: base.bucket, prefix: `${base.prefix}s${i + 1}/` },
      counters: null,
      result: null,
      cost: null,
      error: null,
    });
  }
  return stages;
}

/**
 * Checks that stage `n` of the job can be rerun: the job is a pipeline and every stage before
 * `n` has committed its output. @throws StageNotRerunnable.
 */
export function assertRerunnable(record: JobRecord, n: number): void {
  const stages = record.pipeline;
  if (!stages || stages.length === 0) throw new StageNotRerunnable(`job ${record.id} is not a pipeline`);
  if (!Number.isInteger(n) || n < 1 || n > stages.length)
    throw new StageNotRerunnable(`job ${record.id} has stages 1 to ${stages.length}, not ${n}`);
  const missing = stages.slice(0, n - 1).find((s) => s.status !== 'succeeded');
  if (missing)
    throw new StageNotRerunnable(
      `stage ${n} of job ${record.id} reads the output of stage ${missing.stage}, which is ${missing.status}`,
    );
}

/**
 * Runs the pipeline's stages still to run (or only `rerunStage`), then marks the record succeeded
 * with the last stage's result and the cost of every stage. @throws whatever a stage's run throws.
 */
export async function runPipeline(record: JobRecord, deps: PipelineDeps, start: PipelineStart): Promise<void> {
  const spec = record.spec;
  if (!record.pipeline || record.pipeline.length === 0) record.pipeline = planPipeline(record);
  const stages = record.pipeline;
  deps.emit(record, { type: 'job.started', spec, resumed: start.resumed });
  deps.store.update(record);
  // A rerun runs its stage, then any later stage that has not succeeded; otherwise every stage not yet
  // succeeded runs (an interrupted or failed one resumes its run).
  const from = start.rerunStage ?? 1;
  for (const stage of stages) {
    const rerun = stage.stage === start.rerunStage;
    if (stage.stage < from || (!rerun && stage.status === 'succeeded')) continue;
    await runOne(record, stage, deps, rerun);
  }
  const last = stages.at(-1);
  record.counters = sumCounters(stages.map((s) => s.counters));
  record.result = last?.result ?? null;
  // Wall time, like invocations and billed time, is summed over every run of every stage.
  record.cost = pipelineCost(record);
  record.status = 'succeeded';
  record.finishedAt = Date.now();
  record.error = null;
  deps.emit(record, { type: 'cost', cost: record.cost });
  if (record.result) deps.emit(record, { type: 'job.completed', result: record.result, cost: record.cost });
  deps.store.update(record);
}

async function runOne(record: JobRecord, stage: PipelineStageRecord, deps: PipelineDeps, rerun: boolean) {
  const stages = record.pipeline as PipelineStageRecord[];
  const previous = stage.runId ? deps.store.get(stage.runId) : undefined;
  // An interrupted or failed run picks up its committed tasks (or, if it had just finished, only its
  // result is taken); a rerun, or a first run, starts a fresh manifest.
  const interrupted = !rerun && (stage.status === 'running' || stage.status === 'failed') && previous !== undefined;
  const finished = interrupted && previous.status === 'succeeded';
  const resumed = interrupted && !finished;
  let run: JobRecord;
  if (interrupted) {
    run = previous;
    if (resumed) {
      Object.assign(run, { status: 'running', error: null, finishedAt: null, stages: [] });
      run.counters = zeroCounters();
      deps.store.update(run);
    }
  } else {
    stage.runs += 1;
    const runId = stage.runs === 1 ? `${record.id}.s${stage.stage}` : `${record.id}.s${stage.stage}.r${stage.runs}`;
    run = deps.store.create(runId, stageSpec(record.spec, stage), Date.now(), record.id);
  }
  stage.runId = run.id;
  stage.status = 'running';
  stage.error = null;
  stage.counters = run.counters;
  record.status = 'running';
  record.finishedAt = null;
  record.counters = sumCounters(stages.map((s) => s.counters));
  deps.store.update(record);
  deps.emit(record, {
    type: 'pipeline.stage.started',
    pipelineStage: stage.stage,
    stages: stages.length,
    mapper: stage.mapper,
    ...(stage.reducer ? { reducer: stage.reducer } : {}),
    input: stage.input,
    rerun,
    resumed,
  });
  /** The stage's cost before this run, once the run has completed (a late `cost` of the run then updates it). */
  let before: CostReport | null | undefined;
  const forward = (body: EventBody) => {
    if (body.type === 'cost' && before !== undefined) {
      lateStageCost(record, stage, before, run, deps);
      return;
    }
    if (STAGE_OWN_EVENTS.has(body.type)) return;
    stage.counters = run.counters;
    record.counters = sumCounters(stages.map((s) => s.counters));
    const running = run.counters.running;
    deps.emit(record, {
      ...body,
      pipelineStage: stage.stage,
      stageCounters: { ...run.counters, ...(running ? { running: { ...running } } : {}) },
    });
  };
  try {
    if (!finished) await deps.runStage(run, resumed, forward);
    if (!run.spec.reducer && run.result) {
      await deps.objects.putObject(
        stage.output.bucket,
        `${stage.output.prefix}out/${RESULT_OBJECT}`,
        `${JSON.stringify(run.result)}\n`,
      );
    }
  } catch (err) {
    if (deps.signal.aborted) throw err;
    const error = { code: (err as { code?: string }).code ?? 'JobFailed', message: (err as Error).message };
    stage.status = 'failed';
    stage.error = error;
    deps.emit(record, { type: 'pipeline.stage.failed', pipelineStage: stage.stage, error });
    deps.store.update(record);
    throw err;
  }
  stage.status = 'succeeded';
  stage.counters = run.counters;
  stage.result = run.result;
  before = stage.cost;
  stage.cost = sumCosts([before, run.cost], (before?.wallMs ?? 0) + (run.cost?.wallMs ?? 0), record.spec);
  record.counters = sumCounters(stages.map((s) => s.counters));
  deps.emit(record, {
    type: 'pipeline.stage.completed',
    pipelineStage: stage.stage,
    result: run.result ?? { totals: { words: 0, lines: 0, bytes: 0 }, objects: 0 },
    cost: stage.cost,
    output: stage.output,
  });
  deps.store.update(record);
}

/**
 * A stage's run has taken in the cost of invocations that outlived it (see RunProgress.settle): the
 * stage's cost, and an ended pipeline's, follow (announced by a `cost` event of the pipeline).
 */
function lateStageCost(
  record: JobRecord,
  stage: PipelineStageRecord,
  before: CostReport | null,
  run: JobRecord,
  deps: PipelineDeps,
): void {
  stage.cost = sumCosts([before, run.cost], (before?.wallMs ?? 0) + (run.cost?.wallMs ?? 0), record.spec);
  if (record.status === 'succeeded') {
    record.cost = pipelineCost(record);
    deps.emit(record, { type: 'cost', cost: record.cost });
  }
  deps.store.update(record);
}

/** A pipeline's cost: every run of every stage, wall time included. */
function pipelineCost(record: JobRecord): CostReport {
  const stages = record.pipeline ?? [];
  return sumCosts(
    stages.map((s) => s.cost),
    stages.reduce((ms, s) => ms + (s.cost?.wallMs ?? 0), 0),
    record.spec,
  );
}

/** The job one stage runs: the stage's own settings over its input, writing to its output prefix. */
function stageSpec(spec: JobSpec, stage: PipelineStageRecord): JobSpec {
  const own = spec.stages?.[stage.stage - 1];
  const input = stage.stage === 1 ? spec.input : stage.input;
  return {
    ...own,
    mapper: stage.mapper,
    input,
    output: stage.output,
    ...(spec.cluster ? { cluster: spec.cluster } : {}),
  } as JobSpec;
}

function sumCounters(list: Array<JobCounters | null>): JobCounters {
  const total = zeroCounters();
  for (const c of list) {
    if (!c) continue;
    for (const key of Object.keys(total) as Array<keyof JobCounters>) {
      // Running figures are provisional and belong to the stage that runs; only committed counts add up.
      if (key === 'running') continue;
      const value = c[key];
      if (typeof value !== 'number') continue;
      (total[key] as number) = ((total[key] ?? 0) as number) + value;
    }
  }
  return total;
}

/** Costs summed (invocations and billed time), with the cluster priced over `wallMs`. */
function sumCosts(list: Array<CostReport | null>, wallMs: number, spec: JobSpec): CostReport {
  const usage = emptyUsage();
  const open = { pending: 0, cutOff: 0 };
  for (const cost of list) {
    if (!cost) continue;
    open.pending += cost.pending ?? 0;
    open.cutOff += cost.cutOff ?? 0;
    usage.invocations += cost.invocations;
    usage.billedMs += cost.billedMs;
    usage.gbSeconds += cost.gbSeconds;
    usage.costUsd += cost.lambdaUsd;
    usage.failures.invocations += cost.failures?.invocations ?? 0;
    usage.failures.billedMs += cost.failures?.billedMs ?? 0;
    usage.failures.costUsd += cost.failures?.usd ?? 0;
  }
  return costReport(usage, wallMs, spec.cluster, open);
}

/** The pipeline a stage run's id belongs to (`<pipeline>.s<stage>[.r<run>]`), or undefined for a job's own id. */
export function pipelineOfRun(id: string): string | undefined {
  return /^(.+)\.s\d+(?:\.r\d+)?$/.exec(id)?.[1];
}
