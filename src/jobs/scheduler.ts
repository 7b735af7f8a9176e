/**
 * Runs one stage of a job as cascades of tasks: at most `maxCascades` cascades in flight (so the
 * leaves always have room under the concurrency limit: cascades ≤ limit/(fanout+1)), a retry
 * budget per task with exponential backoff and jitter, throttles retried without spending the
 * budget, and a backup attempt for a straggler once the queue has drained. The manifest decides
 * which attempt counts: the first to commit wins.
 */

import type { InvocationRecord, Invoker } from '../invoke/index.js';
import { hasCode } from '../shared/errors.js';
import { TaskFailed } from './errors.js';
import type { CascadeEvent, CascadeResult } from './protocol.js';
import { isResultReference, type ResultReference, type ResultStore } from './result-refs.js';

/** A task as the scheduler sees it. */
export interface StageTask {
  taskId: string;
  /** Builds the child payload for an attempt number, with the attempt's progress secret. */
  payload(attempt: number, secret: string): unknown;
  bytes: number;
  splits: number;
  /** A map task's input objects, which its attempts may be granted as local files. */
  objects?: Array<{ bucket: string; key: string }>;
}

/** What the stage tells its owner. */
export interface StageHooks {
  /** An attempt starts; returns its progress secret (passed in its payload). */
  dispatched(task: StageTask, attempt: number, backup: boolean): string;
  /** Commits an output; returns follow-up tasks (a mapper's remainder), or null when another attempt already won. */
  completed(task: StageTask, attempt: number, result: unknown, durationMs: number): StageTask[] | null;
  retried(task: StageTask, attempt: number, reason: string): void;
  /** An invocation record that belongs to this job. */
  billed(record: InvocationRecord): void;
  /**
   * A child invocation's record, by request id (or from the REPORT line the cascade passed on);
   * `failed` when the child answered a function error (AWS bills it all the same).
   */
  childRecord(
    requestId: string,
    functionName: string,
    report: string | undefined,
    failed: boolean,
  ): InvocationRecord | undefined;
}

/** Settings of a stage. */
export interface StageOptions {
  jobId: string;
  functionName: string;
  cascadeName: string;
  fanout: number;
  maxCascades: number;
  maxAttempts: number;
  /** Tasks already committed are skipped by the caller; these are the ones to run. */
  tasks: StageTask[];
  signal: AbortSignal;
  /** Where children write results over the response limit (the cascade's event carries it). */
  results?: ResultStore;
  /** Reads a stored result back. @throws when the reference is not the job's or cannot be read. */
  readResult?(reference: ResultReference): Promise<unknown>;
  /**
   * Collects the stage's cascade invocations while they run: one may outlive the stage (a straggler's
   * twin, or a task still running when another failed the stage) and write intermediates after it.
   */
  inFlight?: Set<Promise<unknown>>;
}

const BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 5_000;
const TICK_MS = 250;
const STRAGGLER_MIN_MS = 2_000;
const STRAGGLER_FACTOR = 4;

interface Running {
  tasks: StageTask[];
  startedAt: number;
  backup: boolean;
}

/** Runs the stage to completion. @throws TaskFailed when a task exhausts its attempts; an AbortError when aborted. */
export async function runStage(invoker: Invoker, options: StageOptions, hooks: StageHooks): Promise<void> {
  const attempts = new Map<string, number>();
  const outstanding = new Set(options.tasks.map((t) => t.taskId));
  const backedUp = new Set<string>();
  const pending: StageTask[] = [...options.tasks];
  const running = new Set<Running>();
  const durations: number[] = [];
  let delayed = 0;
  let failure: Error | undefined;
  let wake: () => void = () => {};

  const nextAttempt = (task: StageTask) => {
    const n = (attempts.get(task.taskId) ?? 0) + 1;
    attempts.set(task.taskId, n);
    return n;
  };
  const requeueLater = (tasks: StageTask[], ms: number) => {
    delayed++;
    setTimeout(() => {
      delayed--;
      pending.push(...tasks.filter((t) => outstanding.has(t.taskId)));
      wake();
    }, ms).unref?.();
  };
  const fail = (task: StageTask, attempt: number, reason: string) => {
    if (!outstanding.has(task.taskId)) return;
    if (attempt >= options.maxAttempts) {
      failure ??= new TaskFailed(`task ${task.taskId} failed ${attempt} times; last: ${reason}`);
      return;
    }
    hooks.retried(task, attempt, reason);
    requeueLater([task], jitter(attempt));
  };

  const launch = (tasks: StageTask[], backup: boolean) => {
    const entry: Running = { tasks, startedAt: Date.now(), backup };
    running.add(entry);
    const numbered = tasks.map((task) => {
      const attempt = nextAttempt(task);
      return { task, attempt, secret: hooks.dispatched(task, attempt, backup) };
    });
    const event: CascadeEvent = {
      functionName: options.functionName,
      tasks: numbered.map(({ task, attempt, secret }) => ({
        taskId: task.taskId,
        attempt,
        payload: task.payload(attempt, secret),
      })),
      parallelism: options.fanout,
      ...(options.results ? { results: options.results } : {}),
    };
    const invocation = invoker
      .invoke({
        functionName: options.cascadeName,
        payload: JSON.stringify(event),
        invocationType: 'RequestResponse',
        trigger: `job:${options.jobId}`,
      })
      .then(
        async (result) => {
          if (options.signal.aborted) return;
          if (result.record) hooks.billed(result.record);
          if (result.functionError) {
            const reason = `cascade ${result.functionError}: ${result.payload.toString('utf8').slice(0, 300)}`;
            for (const { task, attempt } of numbered) fail(task, attempt, reason);
            return;
          }
          const answer = JSON.parse(result.payload.toString('utf8')) as CascadeResult;
          for (const [i, outcome] of answer.outcomes.entries()) {
            const { task, attempt } = numbered[i] as { task: StageTask; attempt: number };
            const record = outcome.requestId
              ? hooks.childRecord(outcome.requestId, options.functionName, outcome.report, !outcome.ok)
              : undefined;
            if (record) hooks.billed(record);
            if (!outcome.ok) {
              fail(task, attempt, `${outcome.error?.errorType}: ${outcome.error?.errorMessage}`);
              continue;
            }
            if (!outstanding.has(task.taskId)) continue;
            let output = outcome.result;
            if (isResultReference(output)) {
              try {
                if (!options.readResult) throw new Error('this stage reads no stored results');
                output = await options.readResult(output);
              } catch (err) {
                fail(task, attempt, `its stored result could not be read: ${(err as Error).message}`);
                continue;
              }
              if (options.signal.aborted) return;
              if (!outstanding.has(task.taskId)) continue;
            }
            const follow = hooks.completed(task, attempt, output, outcome.durationMs);
            if (follow === null) continue;
            outstanding.delete(task.taskId);
            durations.push(outcome.durationMs);
            for (const next of follow) {
              outstanding.add(next.taskId);
              pending.push(next);
            }
          }
        },
        (err: unknown) => {
          if (options.signal.aborted) return;
          if (hasCode(err, 'TooManyRequestsException')) {
            // Throttled before running: not the task's fault, so no attempt is spent.
            for (const { task } of numbered) attempts.set(task.taskId, (attempts.get(task.taskId) ?? 1) - 1);
            requeueLater(tasks, jitter(2));
            return;
          }
          for (const { task, attempt } of numbered) fail(task, attempt, (err as Error).message);
        },
      )
      .finally(() => {
        running.delete(entry);
        options.inFlight?.delete(invocation);
        wake();
      });
    options.inFlight?.add(invocation);
  };

  while (outstanding.size > 0) {
    if (failure) throw failure;
    options.signal.throwIfAborted();
    while (running.size < options.maxCascades && pending.length > 0) {
      const batch = pending.splice(0, options.fanout).filter((t) => outstanding.has(t.taskId));
      if (batch.length > 0) launch(batch, false);
    }
    if (pending.length === 0 && running.size < options.maxCascades) launchBackups();
    if (running.size === 0 && pending.length === 0 && delayed === 0) {
      failure ??= new TaskFailed(`stage stalled with ${outstanding.size} tasks outstanding`);
      continue;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, TICK_MS);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  function launchBackups() {
    const median = durations.length > 0 ? ([...durations].sort((a, b) => a - b)[durations.length >> 1] ?? 0) : 0;
    if (durations.length === 0) return;
    const threshold = Math.max(STRAGGLER_MIN_MS, STRAGGLER_FACTOR * median);
    const now = Date.now();
    for (const entry of running) {
      if (entry.backup || now - entry.startedAt < threshold) continue;
      for (const task of entry.tasks) {
        if (running.size >= options.maxCascades) return;
        if (!outstanding.has(task.taskId) || backedUp.has(task.taskId)) continue;
        backedUp.add(task.taskId);
        launch([task], true);
      }
    }
  }
}

function jitter(attempt: number): number {
  return Math.random() * Math.min(MAX_BACKOFF_MS, BACKOFF_MS * 2 ** attempt);
}
