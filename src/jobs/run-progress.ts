/**
 * The bookkeeping of one job run, shared by its stages: progress events, the record saved to the
 * store, billing of the job's invocations (each request counted once), and the hooks through
 * which a stage commits task outputs to the manifest (the first attempt to commit wins).
 */
import type { InvocationRecord, Invoker } from '../invoke/index.js';
import type { Topic } from '../shared/events.js';
import type { Logger } from '../shared/log.js';
import { AttemptSecrets } from './attempt-secrets.js';
import { costReport, emptyUsage, type UsageTotals } from './cost.js';
import type { JobStore } from './job-store.js';
import type { ObjectSource } from './planner.js';
import type { TaskProgressReport } from './protocol.js';
import { ThroughputWindow } from './rate.js';
import type { StageHooks, StageTask } from './scheduler.js';
import type { CostReport, JobEvent, JobRecord, RunningCounts } from './types.js';

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
  /** A child invocation's record: recorded here (local), or priced from its REPORT line (a target). */
  childRecord: StageHooks['childRecord'];
  /** The log lines of one of the job's invocations (each invocation's lines are handed out once). */
  takeLogLines(requestId: string): string[];
  ensureFunctions(names: string[]): Promise<void>;
  signal: AbortSignal;
  /** Cores the planner sizes tasks for (default: this host's availableParallelism). */
  parallelism?: number;
  /** Progress reports posted by running mappers (of every job: a run keeps its own). */
  reports?: Topic<JobProgressReport>;
  /** Where the run keeps its attempts' progress secrets (the service checks reports against them). */
  secrets?: AttemptSecrets;
  /** True when map attempts may ask for short-circuit local reads (the local target, in a namespace sandbox). */
  localReads?: boolean;
  /**
   * Where the run leaves what must end before its intermediates are swept: the settling of its
   * invocations that outlived it (see RunProgress.settle).
   */
  inFlight?: Set<Promise<unknown>>;
}

/** A mapper's progress report with the job it belongs to (its secret already checked and left out). */
export type JobProgressReport = Omit<TaskProgressReport, 'secret'> & { jobId: string };

/** Turns a committed task output into follow-up tasks (a mapper's remainder), if any. */
export type OnCommit = (task: StageTask, result: unknown) => StageTask[];

const SAVE_INTERVAL_MS = 500;
/** `progress` events are published at most this often per job. */
const PROGRESS_EVENT_MS = 250;

/** Progress, saving and billing of one run; counters live on the record itself. */
export class RunProgress {
  readonly #record: JobRecord;
  readonly #deps: RunDeps;
  readonly #started = Date.now();
  readonly #seenRequests = new Set<string>();
  readonly #usage: UsageTotals = emptyUsage();
  /** Provisional figures of running attempts, by task id then attempt number. */
  readonly #running = new Map<string, Map<number, RunningCounts>>();
  /** Tasks dispatched at least once, by stage and task id: retries and backups are not new tasks. */
  readonly #dispatchedTasks = new Set<string>();
  readonly #rate = new ThroughputWindow();
  readonly #secrets: AttemptSecrets;
  readonly #unsubscribe: () => void;
  /** The run's invocations while they run (see StageOptions.inFlight): some may outlive the job. */
  readonly inFlight = new Set<Promise<unknown>>();
  #lastSave = 0;
  #lastProgress = 0;

  constructor(record: JobRecord, deps: RunDeps) {
    this.#record = record;
    this.#deps = deps;
    this.#secrets = deps.secrets ?? new AttemptSecrets();
    record.counters.running = { bytes: 0, words: 0, lines: 0, keys: 0 };
    this.#rate.add(Date.now(), record.counters.bytes);
    this.#unsubscribe =
      deps.reports?.subscribe((report) => {
        if (report.jobId === record.id) this.#report(report);
      }) ?? (() => {});
  }

  /** Stops taking progress reports (the run is over). */
  close(): void {
    this.#unsubscribe();
    this.#secrets.revokeRun(this.#record.id);
    this.#running.clear();
    this.#record.counters.running = { bytes: 0, words: 0, lines: 0, keys: 0 };
  }

  /** Totals of the invocations billed so far. */
  get usage(): UsageTotals {
    return this.#usage;
  }

  /** Wall time since the run started. */
  get elapsedMs(): number {
    return Date.now() - this.#started;
  }

  /**
   * The job's cost report at its end: every invocation billed so far, and how many are still running
   * (`pending`: a straggler's twin that lost the race is billed all the same once it ends).
   */
  endCost(): CostReport {
    return costReport(this.#usage, this.elapsedMs, this.#record.spec.cluster, { pending: this.inFlight.size });
  }

  /**
   * Waits for the run's invocations still running to settle, then takes their cost into a succeeded
   * job's report (no longer `pending`): saved, and announced by another `cost` event. When the engine
   * stops first, the report keeps what was billed until then and counts the rest as `cutOff`; their
   * answers are not billed after the stop, so nothing is counted twice. Never throws.
   */
  async settle(): Promise<void> {
    const signal = this.#deps.signal;
    const stopped = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    while (this.inFlight.size > 0 && !signal.aborted) {
      await Promise.race([Promise.allSettled([...this.inFlight]), stopped]);
    }
    const record = this.#record;
    const cost = record.cost;
    if (record.status !== 'succeeded' || !cost?.pending) return;
    const cutOff = signal.aborted ? this.inFlight.size : 0;
    record.cost = costReport(this.#usage, cost.wallMs, record.spec.cluster, { cutOff });
    try {
      this.emit({ type: 'cost', cost: record.cost });
      this.save(true);
    } catch (err) {
      this.#deps.log.error('cannot record the final cost of a job', { jobId: record.id, err });
    }
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
        const id = `${stage}/${task.taskId}`;
        if (!this.#dispatchedTasks.has(id)) {
          this.#dispatchedTasks.add(id);
          counters.tasksDispatched++;
        }
        const attempts = this.#running.get(task.taskId) ?? new Map<number, RunningCounts>();
        attempts.set(attempt, { bytes: 0, words: 0, lines: 0, keys: 0 });
        this.#running.set(task.taskId, attempts);
        this.emit({
          type: 'task.dispatched',
          taskId: task.taskId,
          attempt,
          splits: task.splits,
          bytes: task.bytes,
          backup,
        });
        const reads = task.objects ? { functionName, objects: task.objects } : undefined;
        return this.#secrets.issue(record.id, task.taskId, attempt, reads);
      },
      completed: (task, attempt, result, durationMs) => {
        // An attempt answering after its run failed commits nothing: the run's cleanup forgets what a
        // resume must redo (a shuffle's map tasks), and a late commit would bring one back without its files.
        if (
          record.status !== 'running' ||
          !this.#deps.store.commit(record.id, { taskId: task.taskId, stage, attempt, result })
        ) {
          this.#dropAttempt(task.taskId, attempt);
          return null;
        }
        // The committed output now holds what this task's attempts reported: their figures leave the
        // running set before the output is applied, so no event carries both.
        this.#running.delete(task.taskId);
        this.#secrets.revokeTask(record.id, task.taskId);
        this.#sumRunning();
        const follow = onCommit(task, result);
        const partial = follow.length > 0;
        this.emit({ type: 'task.done', taskId: task.taskId, attempt, durationMs, bytes: task.bytes, partial });
        this.#emitProgress(true);
        this.save();
        return follow;
      },
      retried: (task, attempt, reason) => {
        this.#dropAttempt(task.taskId, attempt);
        counters.tasksRetried++;
        this.emit({ type: 'task.retried', taskId: task.taskId, attempt, reason });
        this.emit({ type: 'log', functionName, requestId: '', message: reason });
      },
      billed: (invocation) => this.#bill(invocation),
      childRecord: this.#deps.childRecord,
    };
  }

  /** Takes a running attempt's report; reports of attempts not running (retried, committed, unknown) are ignored. */
  #report(report: JobProgressReport): void {
    const figures = this.#running.get(report.taskId)?.get(report.attempt);
    if (!figures) return;
    figures.bytes = report.bytes;
    figures.words = report.words;
    figures.lines = report.lines;
    figures.keys = report.keys;
    this.#sumRunning();
    for (const object of report.objects ?? []) {
      const { key, words, lines, bytes } = object;
      this.emit({ type: 'object.result', key, counts: { words, lines, bytes }, provisional: true });
    }
    this.#emitProgress(false);
  }

  #dropAttempt(taskId: string, attempt: number): void {
    this.#secrets.revoke(this.#record.id, taskId, attempt);
    const attempts = this.#running.get(taskId);
    if (!attempts?.delete(attempt)) return;
    if (attempts.size === 0) this.#running.delete(taskId);
    this.#sumRunning();
  }

  /** Sums the running attempts' figures, each task counted once (its furthest attempt, when a backup runs). */
  #sumRunning(): void {
    const sum: RunningCounts = { bytes: 0, words: 0, lines: 0, keys: 0 };
    for (const attempts of this.#running.values()) {
      let best: RunningCounts | undefined;
      for (const figures of attempts.values()) if (!best || figures.bytes > best.bytes) best = figures;
      if (!best) continue;
      sum.bytes += best.bytes;
      sum.words += best.words;
      sum.lines += best.lines;
      sum.keys += best.keys;
    }
    this.#record.counters.running = sum;
  }

  /** Publishes a `progress` event with the recent rate of committed + running bytes (throttled unless forced). */
  #emitProgress(force: boolean): void {
    const now = Date.now();
    const counters = this.#record.counters;
    this.#rate.add(now, counters.bytes + (counters.running?.bytes ?? 0));
    if (!force && now - this.#lastProgress < PROGRESS_EVENT_MS) return;
    this.#lastProgress = now;
    this.emit({ type: 'progress', bytesPerSecond: Math.round(this.#rate.perSecond(now)) });
  }

  #bill(invocation: InvocationRecord): void {
    if (this.#seenRequests.has(invocation.requestId)) return;
    this.#seenRequests.add(invocation.requestId);
    const usage = this.#usage;
    usage.invocations++;
    usage.billedMs += invocation.billedDurationMs;
    usage.gbSeconds += invocation.gbSeconds;
    usage.costUsd += invocation.costUsd;
    if (invocation.outcome !== 'success' && invocation.outcome !== 'throttled') {
      usage.failures.invocations++;
      usage.failures.billedMs += invocation.billedDurationMs;
      usage.failures.costUsd += invocation.costUsd;
    }
    const counters = this.#record.counters;
    counters.invocations = usage.invocations;
    counters.billedMs = usage.billedMs;
    counters.costUsd = usage.costUsd;
    for (const message of this.#deps.takeLogLines(invocation.requestId)) {
      this.emit({ type: 'log', functionName: invocation.functionName, requestId: invocation.requestId, message });
    }
  }
}
