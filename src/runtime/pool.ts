import type { EngineContext } from '../shared/context.js';
import { InvalidParameterValue } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import {
  busyCap,
  countFinished,
  type Demand,
  longRunMs,
  newDemand,
  recentBusy,
  waitForRelease,
  waitsForBusy,
  wantsAnotherStart,
} from './demand.js';
import type { Environment } from './environment.js';
import { IdleEnvironments } from './idle-environments.js';
import { Assignments } from './pipeline.js';
import { RuntimeClosed } from './run-errors.js';
import type { Sandbox, SandboxInfo } from './sandbox.js';
import { Spawner } from './spawner.js';
import { holdWhileBusy, StartSlots } from './start-slots.js';
import type {
  FunctionErrorShape,
  RunOutcome,
  RunRequest,
  RunResult,
  Runtime,
  RuntimeFunction,
  RuntimeStats,
} from './types.js';

/** Options of the environment pool. */
export interface PoolOptions {
  /** Blank runtimes kept pre-started (default 2). */
  prestart?: number;
  /** Idle time before a warm environment is reaped (default 5 minutes). */
  idleMs?: number;
  /** Isolation level: 'namespaces', 'user-namespaces', 'process' or 'auto' (default: LAMBDATA_SANDBOX, else the strongest available). */
  sandbox?: string;
}

const DEFAULT_PRESTART = 2;

const DEFAULT_IDLE_MS = 5 * 60_000;
/** How often RSS is sampled while invocations run; invocations shorter than this are judged by their peak. */
const SAMPLE_MS = 15;

/**
 * Execution environments of every function: warm ones reused per function version (most recently
 * used first), cold starts served from blank pre-started runtimes, idle ones reaped after `idleMs`.
 * The invoke layer enforces concurrency; the pool creates one environment per concurrent run,
 * except that a burst of a short-running function queues briefly for its warm ones (see demand.ts),
 * pipelined into them where it can (see pipeline.ts).
 */
export class EnvironmentPool implements Runtime {
  #log: Logger;
  #idleMs: number;
  #spawner: Spawner;
  #sandbox: Sandbox;
  #idle = new IdleEnvironments();
  #busy = new Set<Environment>();
  /** Runs given to each busy environment: its running one and those queued behind it. */
  #assigned = new Assignments();
  #demand = new Map<string, Demand>();
  #starts = new StartSlots();
  #sweeper: NodeJS.Timeout;
  #sampler: NodeJS.Timeout | undefined;
  #closed = false;

  /** Throws InvalidParameterValue for a negative or non-integer option. */
  constructor(context: EngineContext, options: PoolOptions = {}) {
    this.#log = context.log.child({ component: 'runtime' });
    const prestart = checkCount('prestart', options.prestart ?? DEFAULT_PRESTART);
    this.#idleMs = checkCount('idleMs', options.idleMs ?? DEFAULT_IDLE_MS);
    this.#spawner = new Spawner(context, this.#log, { prestart, sandbox: options.sandbox }, (gone) =>
      this.#forget(gone),
    );
    this.#sandbox = this.#spawner.sandbox;
    this.#log.debug('environments sandboxed', {
      sandbox: this.#sandbox.info.level,
      features: this.#sandbox.info.features,
    });
    const sweepEvery = Math.max(10, Math.min(this.#idleMs / 2, 30_000));
    this.#sweeper = setInterval(() => this.#idle.reap(performance.now() - this.#idleMs), sweepEvery).unref();
    // Not inside createEngine's own tick, and not at all if closed at once.
    this.#sandbox.ready.then(
      () => setImmediate(() => this.#refill()),
      (err: unknown) => {
        if (!this.#closed) this.#log.error('environments cannot start', { err });
      },
    );
  }

  /** Runs one invocation in a warm environment of `fn`, or a new one (a cold start). Never rejects for function failures. */
  async run(request: RunRequest): Promise<RunResult> {
    if (this.#closed) throw new RuntimeClosed();
    const key = keyOf(request.fn);
    if (this.#queueFor(key)) {
      // Queued in a busy environment at once where one takes it, else handed one when it frees up
      // (both already counted as given to it).
      const handed = this.#pipelineTarget(key) ?? (await waitForRelease(this.#demandOf(key)));
      if (handed) return this.#warmRun(handed, request);
    }
    if (this.#closed) throw new RuntimeClosed();
    const idle = this.#idle.take(key);
    if (idle) {
      this.#take(idle);
      return this.#warmRun(idle, request);
    }
    return this.#coldRun(key, request);
  }

  /**
   * Short-circuit reads: grants the running invocation `requestId` of `functionName` read-only access
   * to `files` (absolute host paths), each answered as its path inside the environment (null where it
   * could not be linked), until the invocation ends. Undefined when no such invocation runs here in a
   * namespace sandbox (at the process level, or a finished one): the caller reads over S3.
   */
  grantReads(requestId: string, functionName: string, files: string[]): Array<string | null> | undefined {
    const grants = this.#sandbox.grants;
    if (!grants) return undefined;
    for (const environment of this.#busy) {
      if (environment.runningRequestId !== requestId || environment.fn?.name !== functionName) continue;
      // A run queued behind this one has started by the time the grants are taken back: read over S3.
      return this.#assigned.queued(environment) > 0 ? undefined : grants.grant(environment.id, files);
    }
    return undefined;
  }

  /** Drops idle environments of `functionName` now and busy ones when their invocation ends. */
  retire(functionName: string): void {
    this.#idle.retire(functionName);
    for (const environment of this.#busy) if (environment.fn?.name === functionName) environment.retiring = true;
  }

  waitingRuns(functionName: string): number {
    const prefix = `${functionName}\0`;
    let waiting = 0;
    for (const [key, demand] of this.#demand) {
      if (!key.startsWith(prefix)) continue;
      waiting += demand.waiters.length + demand.starting;
      for (const environment of demand.running.keys()) waiting += this.#assigned.queued(environment);
    }
    return waiting;
  }

  /** The isolation level in force and what it consists of. */
  get sandbox(): SandboxInfo {
    return this.#sandbox.info;
  }

  stats(): RuntimeStats {
    const idle = this.#idle.size;
    return { environments: this.#busy.size + idle, busy: this.#busy.size, idle, prestarted: this.#spawner.prestarted };
  }

  /** Kills every environment and pre-started runtime, clears timers and removes tmp dirs. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#starts.close();
    clearInterval(this.#sweeper);
    clearInterval(this.#sampler);
    for (const demand of this.#demand.values()) for (const waiter of demand.waiters.splice(0)) waiter(undefined);
    await this.#spawner.close();
    this.#idle.clear();
  }

  async #coldRun(key: string, request: RunRequest): Promise<RunResult> {
    // Counted before any await, so a burst of runs sees the environments already on their way.
    const demand = this.#demandOf(key);
    demand.environments += 1;
    demand.starting += 1;
    demand.initializing += 1;
    let initializing = true;
    /** Init is over (with its duration when it succeeded), or the run ended without one. */
    const endInit = (initMs?: number) => {
      if (!initializing) return;
      initializing = false;
      demand.initializing -= 1;
      if (initMs !== undefined)
        demand.initMs = demand.initMs === undefined ? initMs : 0.8 * demand.initMs + 0.2 * initMs;
    };
    let release: () => void = () => undefined;
    try {
      await this.#spawner.sandbox.ready;
      // A pre-started blank is a start already paid for: it need not queue when nothing else does.
      const grant =
        this.#spawner.blankFits(request.fn) && this.#starts.waiting === 0 ? { release } : await this.#starts.take(key);
      if ('closed' in grant || this.#closed) throw new RuntimeClosed();
      if ('environment' in grant) {
        // A warm start after all: an environment of this version freed up while this run waited.
        this.#forgetStart(key, false);
        this.#take(grant.environment);
        return await this.#warmRun(grant.environment, request);
      }
      release = grant.release;
      // While it waited, an environment of this version may have come to rest: a warm start, as on AWS.
      const idle = this.#idle.take(key);
      if (idle) {
        release();
        this.#forgetStart(key, false);
        this.#take(idle);
        return await this.#warmRun(idle, request);
      }
      return await this.#startAndRun(key, request, { release, ended: endInit });
    } finally {
      release();
      endInit();
      demand.starting -= 1;
      // After the caller has its result: starting blanks is the launcher's work, but not this run's.
      setImmediate(() => this.#refill());
    }
  }

  /**
   * Starts an environment for `request.fn` and runs the request in it. `init.release` gives back the
   * start slot (possibly early, see holdWhileBusy); `init.ended` is called once init is over.
   */
  async #startAndRun(
    key: string,
    request: RunRequest,
    init: { release: () => void; ended: (initMs?: number) => void },
  ): Promise<RunResult> {
    const cold = await this.#spawner.prepare(request);
    if ('error' in cold) {
      this.#forgetStart(key, true);
      return initFailure(cold.error);
    }
    const { environment, message, tmpDir } = cold;
    environment.key = key;
    const stopWatching = holdWhileBusy(environment, init.release);
    const done = (initMs?: number) => {
      stopWatching();
      init.release();
      init.ended(initMs);
    };
    this.#take(environment);
    const result = await environment.start(request.fn, key, message, request, tmpDir, done);
    this.#settle(environment, result);
    return result;
  }

  /** A cold start that never got an environment of its own; `failed` lets a waiter start its own instead. */
  #forgetStart(key: string, failed: boolean): void {
    const demand = this.#demand.get(key);
    if (!demand) return;
    demand.environments -= 1;
    if (failed) demand.waiters.shift()?.(undefined);
  }

  /**
   * Runs `request` in warm `environment`, already counted as given to it (#take): now, or queued
   * behind its running one. One that never started there (the environment went first) starts over.
   */
  async #warmRun(environment: Environment, request: RunRequest): Promise<RunResult> {
    const result = await environment.enqueue(request, longRunMs(this.#demandOf(environment.key)));
    this.#settle(environment, result);
    return result ?? this.run(request);
  }

  /** Counts a run as given to `environment`; the first makes it busy. */
  #take(environment: Environment): void {
    if (!this.#assigned.add(environment)) return;
    this.#busy.add(environment);
    this.#sampler ??= setInterval(() => this.#sample(), SAMPLE_MS).unref();
    this.#demandOf(environment.key).running.set(environment, performance.now());
  }

  /**
   * One run given to `environment` ended (`result` undefined: it never started). When it was the
   * last, the environment goes to a waiting run, a start slot, the idle list or away.
   */
  #settle(environment: Environment, result: RunResult | undefined): void {
    // Before the environment can run anything else: its grants were for this invocation alone.
    try {
      this.#sandbox.grants?.revoke(environment.id);
    } catch (err) {
      // Links that could not be taken back must not reach its next invocation: the environment goes.
      this.#log.error('could not take back read grants; ending the environment', { env: environment.id, err });
      environment.kill();
    }
    const counted = this.#demandOf(environment.key);
    const left = this.#assigned.end(environment);
    if (left > 0) {
      if (result) {
        // The next queued run started as this one answered.
        counted.running.set(environment, performance.now());
        this.#finished(counted, result);
      }
      // One taken back leaves the run ahead as it was: a long one stays long, so no run queues
      // behind it again (it would only be taken back again, and again, until that one ends).
      this.#feed(environment, counted);
      return;
    }
    counted.running.delete(environment);
    this.#busy.delete(environment);
    if (counted.environments <= 0 && counted.running.size === 0 && counted.waiters.length === 0) {
      this.#demand.delete(environment.key); // the last environment of this version is gone
    }
    const demand = this.#demand.get(environment.key);
    if (demand && result) this.#finished(demand, result);
    if (environment.alive && !environment.retiring && !this.#closed) {
      const now = performance.now();
      environment.lastUsed = now;
      // Past the cap (waiters gave up during a stall and took more environments), this one rests
      // instead, so the busy set shrinks back; the recent busy ones still release to the waiters.
      // Long runs do not count (the same rule as #queueFor), so while some calls run long the
      // quick ones keep handing their environments on.
      const handOn = demand !== undefined && recentBusy(demand, now).recent < busyCap(demand);
      const waiter = handOn && demand.waiters.length > 0 ? demand.waiters.shift() : undefined;
      if (waiter && demand) {
        this.#take(environment);
        waiter(environment);
        this.#feed(environment, demand);
        return;
      }
      // A run of a fast function waiting for a start slot takes it warm (a slow one's runs each get
      // their own environment, as on AWS; the CPU of a fast one's starts is better spent on runs).
      if (handOn && busyCap(demand) !== Number.POSITIVE_INFINITY && this.#starts.offer(environment.key, environment))
        return;
      this.#idle.add(environment);
    } else {
      environment.kill();
    }
  }

  /** A run of `demand`'s function ended in one of its environments. */
  #finished(demand: Demand, result: RunResult): void {
    countFinished(demand, result);
    this.#scaleOut(demand);
  }

  /** Hands busy `environment` to waiting runs while it takes more queued behind its running one. */
  #feed(environment: Environment, demand: Demand): void {
    const grants = this.#sandbox.grants;
    while (demand.waiters.length > 0) {
      if (!this.#assigned.takes(environment, demand, performance.now(), grants?.holds(environment.id) ?? false)) return;
      this.#take(environment);
      demand.waiters.shift()?.(environment);
    }
  }

  /** A busy environment of `key` that takes one more run queued now, counted as given to it. */
  #pipelineTarget(key: string): Environment | undefined {
    const demand = this.#demand.get(key);
    if (!demand || busyCap(demand) === Number.POSITIVE_INFINITY) return undefined;
    const grants = this.#sandbox.grants;
    const target = this.#assigned.target(
      demand,
      performance.now(),
      (environment) => grants?.holds(environment.id) ?? false,
    );
    if (target) this.#take(target);
    return target;
  }

  /**
   * True when a run of `key` should wait for a busy environment to be released rather than take an
   * idle one or start another, which would only thrash (see demand.ts).
   */
  #queueFor(key: string): boolean {
    const demand = this.#demand.get(key);
    return demand !== undefined && waitsForBusy(demand, this.#idle.count(key), performance.now());
  }

  /**
   * Lets the last waiters of a function whose queue outgrew its environments start their own (see
   * wantsAnotherStart), at most as many as may initialize beside the ones already starting.
   */
  #scaleOut(demand: Demand): void {
    const now = performance.now();
    // A released waiter counts as initializing only once its run gets going (after this loop).
    for (let released = 0; wantsAnotherStart(demand, now, released); released++) demand.waiters.pop()?.(undefined);
  }

  #demandOf(key: string): Demand {
    let demand = this.#demand.get(key);
    if (!demand) {
      demand = newDemand();
      this.#demand.set(key, demand);
    }
    return demand;
  }

  #refill(): void {
    if (this.#closed) return;
    this.#spawner.refill();
  }

  #forget(environment: Environment): void {
    this.#busy.delete(environment);
    this.#idle.forget(environment);
    const demand = this.#demand.get(environment.key);
    if (demand) {
      demand.environments -= 1;
      // One fewer environment to wait for: let a waiter start its own.
      demand.waiters.shift()?.(undefined);
      if (demand.environments <= 0 && demand.running.size === 0 && demand.waiters.length === 0)
        this.#demand.delete(environment.key);
    }
  }

  #sample(): void {
    if (this.#busy.size === 0) {
      clearInterval(this.#sampler);
      this.#sampler = undefined;
      return;
    }
    const now = performance.now();
    for (const environment of this.#busy) environment.checkMemory(now, SAMPLE_MS);
  }
}

function initFailure(error: FunctionErrorShape, initDurationMs = 0, outcome: RunOutcome = 'unhandled'): RunResult {
  return { outcome, error, durationMs: 0, initDurationMs, maxMemoryUsedMb: 0, coldStart: true };
}

function keyOf(fn: RuntimeFunction): string {
  return `${fn.name}\0${fn.version}\0${fn.revisionId}\0${fn.codeSha256}`;
}

function checkCount(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidParameterValue(`runtime option ${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}
