/**
 * What keeps finished job runs from piling up: each run's intermediates are swept when it ends
 * (and, at the next start, those of runs that ended just before a crash), finished runs past the
 * retention policy are deleted at start, after each run and periodically, and a finished run can be
 * deleted on request. A run recorded as running is never touched: it resumes at the next start and
 * needs its manifest and shuffle files.
 */
import type { Logger } from '../shared/log.js';
import { sweepIntermediates } from './intermediates.js';
import { defaultOutput, hasShuffle } from './job-run.js';
import type { JobStore } from './job-store.js';
import { pipelineOfRun } from './pipeline-run.js';
import type { ObjectSource } from './planner.js';
import { expiredRuns, type RetentionPolicy } from './retention.js';
import type { JobRecord, JobSpec } from './types.js';

/** What the cleanup needs from the service. */
export interface RunCleanupDeps {
  store: JobStore;
  policy: RetentionPolicy;
  log: Logger;
  /** The object store a run's tasks wrote to (its target's). @throws when its target is gone. */
  objectsOf(spec: JobSpec): ObjectSource;
  /** Whether the service is running (or still settling) the job or pipeline with this id. */
  isRunning(id: string): boolean;
}

/** How often retention runs besides at start and after each run (runs age out between runs too). */
const PRUNE_EVERY_MS = 10 * 60_000;

/** Sweeps, retention and deletes of finished runs. */
export class RunCleanup {
  readonly #deps: RunCleanupDeps;
  /** Sweeps under way, by job or pipeline id (a stage run's sweep is filed under its pipeline). */
  readonly #sweeps = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #pruning: Promise<void> | undefined;
  /** The start's sweeps of runs that ended before the last stop, then its retention. */
  #starting: Promise<void> | undefined;

  constructor(deps: RunCleanupDeps) {
    this.#deps = deps;
  }

  /**
   * Sweeps, one job at a time, what runs that ended before the last stop left (not the stage runs of a
   * pipeline that resumed: it sweeps them when it ends), applies retention, and starts the timer.
   */
  start(): void {
    const byJob = new Map<string, JobRecord[]>();
    for (const record of this.#deps.store.unswept()) {
      const id = pipelineOfRun(record.id) ?? record.id;
      if (!this.#deps.isRunning(id)) byJob.set(id, [...(byJob.get(id) ?? []), record]);
    }
    this.#starting = (async () => {
      for (const [id, records] of byJob) await this.#track(id, () => this.#sweepAll(records));
      await this.prune();
    })();
    this.#timer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.#timer.unref();
  }

  /** Stops the timer and waits for sweeps and retention under way. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.allSettled([this.#starting, ...this.#sweeps.values(), this.#pruning]);
  }

  /** Whether a sweep of this job or pipeline is under way (it cannot be resumed or rerun until it ends). */
  sweeping(id: string): boolean {
    return this.#sweeps.has(id);
  }

  /**
   * Sweeps a job or pipeline that has just ended, once the invocations it left running (`inFlight`) have
   * ended too: they may still write. Never throws (a failed sweep is retried at the next start).
   */
  finished(record: JobRecord, inFlight: Set<Promise<unknown>> = new Set()): Promise<void> {
    return this.#track(record.id, async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      await this.#sweepJob(record);
    });
  }

  /**
   * Deletes a finished job or pipeline: its intermediates, then its records, events and manifests (its
   * outputs stay). The caller checks that it exists and is not running. Its intermediates are listed
   * again even if swept: a backup attempt still running when its stage ended may have written since.
   */
  async delete(record: JobRecord): Promise<void> {
    await this.#track(record.id, () => this.#sweepJob(record, true));
    this.#deps.store.delete(record.id);
  }

  /** Deletes the finished runs the policy no longer keeps, one transaction each. */
  prune(now = Date.now()): Promise<void> {
    this.#pruning ??= this.#prune(now).finally(() => {
      this.#pruning = undefined;
    });
    return this.#pruning;
  }

  async #prune(now: number): Promise<void> {
    const { store, policy, log } = this.#deps;
    let deleted = 0;
    try {
      for (const id of expiredRuns(store.finished(), policy, now)) {
        if (this.#deps.isRunning(id) || this.#sweeps.has(id)) continue;
        const record = store.get(id);
        if (!record || record.status === 'running') continue;
        await this.delete(record);
        deleted++;
      }
    } catch (err) {
      log.error('cannot apply job retention', { err });
    }
    if (deleted > 0) log.info('deleted finished job runs past retention', { deleted, ...policy });
  }

  /** Runs `sweep` as the sweep of `id` (after any under way); logs instead of throwing. */
  #track(id: string, sweep: () => Promise<void>): Promise<void> {
    const before = this.#sweeps.get(id) ?? Promise.resolve();
    const current = before
      .then(sweep)
      .catch((err: unknown) => this.#deps.log.warn('cannot sweep job intermediates', { jobId: id, err }))
      .finally(() => {
        if (this.#sweeps.get(id) === current) this.#sweeps.delete(id);
      });
    this.#sweeps.set(id, current);
    return current;
  }

  /** A job's own run, or a pipeline's finished stage runs, then the pipeline's record itself. */
  async #sweepJob(record: JobRecord, again = false): Promise<void> {
    const { store } = this.#deps;
    if (!record.spec.stages) return this.#sweepAll([record], again);
    await this.#sweepAll(store.runsOf(record.id), again);
    store.markSwept(record.id, Date.now());
  }

  /**
   * Sweeps the finished records among `records` not swept yet (or every finished one, `again`), each as
   * stored now: one set running again since it was read (a resume) is left alone.
   */
  async #sweepAll(records: JobRecord[], again = false): Promise<void> {
    const { store } = this.#deps;
    for (const read of records) {
      const record = store.get(read.id);
      if (!record || record.status === 'running') continue;
      if (record.spec.stages) await this.#sweepJob(record, again);
      else if (again || !store.swept(record.id)) await this.#sweepRun(record);
    }
  }

  /**
   * Forgets the manifest entries the run no longer needs, then deletes its intermediates: a run that
   * succeeded needs none; a failed one keeps what a resume reuses, except the committed map tasks of a
   * shuffle, whose partitions go (a resume runs them again).
   */
  async #sweepRun(run: JobRecord): Promise<void> {
    const { store, log } = this.#deps;
    const shuffle = hasShuffle(run.spec);
    if (run.status === 'succeeded') store.dropCommitted(run.id);
    else if (shuffle) store.dropCommitted(run.id, 'map');
    const output = run.spec.output ?? defaultOutput(run.spec, run.id);
    const deleted = await sweepIntermediates(this.#deps.objectsOf(run.spec), { ...output, shuffle });
    store.markSwept(run.id, Date.now());
    if (deleted > 0) log.debug('swept job intermediates', { jobId: run.id, objects: deleted });
  }
}
