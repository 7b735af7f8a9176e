/**
 * The bookkeeping of one job run, shared by its stages: progress events, the record saved to the
 * store, billing of the job's invocations (each request counted once), and the hooks through
 * which a stage commits task outputs to the manifest (the first attempt to commit wins).
 */
import type { InvocationRecord, Invoker } from '../invoke/index.js';
import type { Logger } from '../shared/log.js';
import type { UsageTotals } from './cost.js';
import type { JobStore } from './job-store.js';
import type { ObjectSource } from './planner.js';
import type { StageHooks, StageTask } from './scheduler.js';
import type { JobEvent, JobRecord } from './types.js';

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

/** Turns a committed task output into follow-up tasks (a mapper's remainder), if any. */
export type OnCommit = (task: StageTask, result: unknown) => StageTask[];

const SAVE_INTERVAL_MS = 500;

/** Progress, saving and billing of one run; counters live on the record itself. */
export class RunProgress {
  readonly #record: JobRecord;
  readonly #deps: RunDeps;
  readonly #started = Date.now();
  readonly #seenRequests = new Set<string>();
  readonly #usage: UsageTotals = { invocations: 0, billedMs: 0, gbSeconds: 0, costUsd: 0 };
  #lastSave = 0;

  constructor(record: JobRecord, deps: RunDeps) {
    this.#record = record;
    this.#deps = deps;
  }

  /** Totals of the invocations billed so far. */
  get usage(): UsageTotals {
    return this.#usage;
  }

  /** Wall time since the run started. */
  get elapsedMs(): number {
    return Date.now() - this.#started;
  }

  /** Publishes an event of this job. */
  emit(body: EventBody): void {
    this.#deps.emit(this.#record, body);
  }

  /** Saves the record, at most every SAVE_INTERVAL_MS unless forced. */
  save(force = false): void {
    if (!force && Date.now() - this.#lastSave < SAVE_INTERVAL_MS) return;
    this.#lastSave = Date.now();
    this.#deps.store.update(this.#record);
  }

  /**
   * The scheduler hooks of one stage: each completed attempt is committed to the manifest under
   * `stage`, and only the winning commit reaches `onCommit`, so a retried or duplicated task never
   * counts twice.
   */
  hooks(stage: string, functionName: string, onCommit: OnCommit): StageHooks {
    const record = this.#record;
    const counters = record.counters;
    return {
      dispatched: (task, attempt, backup) => {
        counters.tasksDispatched++;
        this.emit({
          type: 'task.dispatched',
          taskId: task.taskId,
          attempt,
          splits: task.splits,
          bytes: task.bytes,
          backup,
        });
      },
      completed: (task, attempt, result, durationMs) => {
        if (!this.#deps.store.commit(record.id, { taskId: task.taskId, stage, attempt, result })) return null;
        const follow = onCommit(task, result);
        const partial = follow.length > 0;
        this.emit({ type: 'task.done', taskId: task.taskId, attempt, durationMs, bytes: task.bytes, partial });
        const elapsed = this.elapsedMs / 1000;
        this.emit({ type: 'progress', bytesPerSecond: elapsed > 0 ? Math.round(counters.bytes / elapsed) : 0 });
        this.save();
        return follow;
      },
      retried: (task, attempt, reason) => {
        counters.tasksRetried++;
        this.emit({ type: 'task.retried', taskId: task.taskId, attempt, reason });
        this.emit({ type: 'log', functionName, requestId: '', message: reason });
      },
      billed: (invocation) => this.#bill(invocation),
      childRecord: this.#deps.childRecord,
    };
  }

  #bill(invocation: InvocationRecord): void {
    if (this.#seenRequests.has(invocation.requestId)) return;
    this.#seenRequests.add(invocation.requestId);
    const usage = this.#usage;
    usage.invocations++;
    usage.billedMs += invocation.billedDurationMs;
    usage.gbSeconds += invocation.gbSeconds;
    usage.costUsd += invocation.costUsd;
    const counters = this.#record.counters;
    counters.invocations = usage.invocations;
    counters.billedMs = usage.billedMs;
    counters.costUsd = usage.costUsd;
    for (const message of this.#deps.takeLogLines(invocation.requestId)) {
      this.emit({ type: 'log', functionName: invocation.functionName, requestId: invocation.requestId, message });
    }
  }
}
