import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineContext } from '../shared/context.js';
import { InvalidParameterValue } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import { distPath } from '../shared/paths.js';
import {
  busyCap,
  type Demand,
  longRunMs,
  newDemand,
  recentBusy,
  STARTING_CAP,
  waitForRelease,
  wantsAnotherStart,
  worthWaiting,
} from './demand.js';
import { Environment, untilExited } from './environment.js';
import { blankEnvironment, functionEnvironment } from './environment-vars.js';
import { InterpreterBlanks } from './interpreter-blanks.js';
import { Launcher } from './launcher-client.js';
import { NodeBlanks } from './node-blanks.js';
import { nodeHeapArgs } from './node-heap.js';
import { Assignments } from './pipeline.js';
import type { InitMessage } from './protocol.js';
import { RuntimeClosed } from './run-errors.js';
import { RuntimeApi } from './runtime-api.js';
import { runtimeApiProgram } from './runtime-api-program.js';
import { speaksRuntimeApi } from './runtimes.js';
import { ENVIRONMENT_NICENESS, INSIDE, Sandbox, type SandboxInfo } from './sandbox.js';
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
  #context: EngineContext;
  #log: Logger;
  #prestart: number;
  #idleMs: number;
  #tmpRoot: string;
  #sandbox: Sandbox;
  #blanks: NodeBlanks;
  #idle = new Map<string, Environment[]>();
  #busy = new Set<Environment>();
  /** Runs given to each busy environment: its running one and those queued behind it. */
  #assigned = new Assignments();
  #all = new Set<Environment>();
  #demand = new Map<string, Demand>();
  #interpreters: InterpreterBlanks;
  #launcher: Launcher;
  #starts = new StartSlots();
  #sweeper: NodeJS.Timeout;
  #sampler: NodeJS.Timeout | undefined;
  #closed = false;

  /** Throws InvalidParameterValue for a negative or non-integer option. */
  constructor(context: EngineContext, options: PoolOptions = {}) {
    this.#context = context;
    this.#log = context.log.child({ component: 'runtime' });
    this.#prestart = checkCount('prestart', options.prestart ?? DEFAULT_PRESTART);
    this.#idleMs = checkCount('idleMs', options.idleMs ?? DEFAULT_IDLE_MS);
    this.#tmpRoot = join(context.dataDir, 'tmp');
    rmSync(this.#tmpRoot, { recursive: true, force: true }); // leftovers of a previous engine
    mkdirSync(this.#tmpRoot, { recursive: true });
    this.#sandbox = new Sandbox(context.dataDir, options.sandbox);
    this.#launcher = new Launcher(this.#log);
    this.#blanks = new NodeBlanks(this.#prestart, (memoryMb) => this.#spawnBlank(memoryMb));
    this.#interpreters = new InterpreterBlanks(this.#prestart, this.#sandbox, (id, program, api) =>
      this.#spawn(id, program.command, program.args, blankEnvironment(), '/', undefined, api),
    );
    this.#log.debug('environments sandboxed', {
      sandbox: this.#sandbox.info.level,
      features: this.#sandbox.info.features,
    });
    const sweepEvery = Math.max(10, Math.min(this.#idleMs / 2, 30_000));
    this.#sweeper = setInterval(() => this.#reapIdle(), sweepEvery).unref();
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
    const idle = this.#idle.get(key)?.pop();
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
    for (const [key, list] of this.#idle) {
      if (list[0]?.fn?.name !== functionName) continue;
      this.#idle.delete(key);
      for (const environment of list) environment.kill();
    }
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
    let idle = 0;
    for (const list of this.#idle.values()) idle += list.length;
    const prestarted = this.#blanks.size + this.#interpreters.size;
    return { environments: this.#busy.size + idle, busy: this.#busy.size, idle, prestarted };
  }

  /** Kills every environment and pre-started runtime, clears timers and removes tmp dirs. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#starts.close();
    this.#interpreters.close();
    clearInterval(this.#sweeper);
    clearInterval(this.#sampler);
    const all = [...this.#all];
    for (const environment of all) environment.kill();
    for (const demand of this.#demand.values()) for (const waiter of demand.waiters.splice(0)) waiter(undefined);
    await untilExited(all);
    this.#blanks.clear();
    this.#idle.clear();
    this.#sandbox.close();
    this.#launcher.close();
    rmSync(this.#tmpRoot, { recursive: true, force: true });
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
      await this.#sandbox.ready;
      // A pre-started blank is a start already paid for: it need not queue when nothing else does.
      const grant =
        this.#blankFits(request.fn) && this.#starts.waiting === 0 ? { release } : await this.#starts.take(key);
      if ('closed' in grant || this.#closed) throw new RuntimeClosed();
      if ('environment' in grant) {
        // A warm start after all: an environment of this version freed up while this run waited.
        this.#forgetStart(key, false);
        this.#take(grant.environment);
        return await this.#warmRun(grant.environment, request);
      }
      release = grant.release;
      // While it waited, an environment of this version may have come to rest: a warm start, as on AWS.
      const idle = this.#idle.get(key)?.pop();
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
    const fn = request.fn;
    const id = randomBytes(16).toString('hex');
    const isolated = this.#sandbox.isolated;
    // In a sandbox /tmp is the environment's own tmpfs; otherwise a directory of the data dir.
    const tmpDir = isolated ? '' : join(this.#tmpRoot, id);
    if (!isolated) mkdirSync(tmpDir);
    const env = functionEnvironment(fn, this.#context, id, tmpDir || INSIDE.tmp, isolated);
    let environment: Environment;
    if (speaksRuntimeApi(fn.runtime)) {
      const blank = this.#interpreters.take(fn, env);
      if (blank) {
        env.AWS_LAMBDA_RUNTIME_API = blank.api.address;
        environment = blank.environment;
      } else {
        const program = runtimeApiProgram(fn, isolated);
        if ('error' in program) {
          if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
          this.#forgetStart(key, true);
          return initFailure(program.error);
        }
        const api = await RuntimeApi.listen();
        env.AWS_LAMBDA_RUNTIME_API = api.address;
        environment = this.#spawn(id, program.command, program.args, env, fn.codeDir, fn, api);
      }
    } else if (env.NODE_OPTIONS || !this.#sandbox.canHandOff(fn)) {
      // NODE_OPTIONS only take effect at process start (and a sandbox's mounts are made at its start),
      // so such a function gets its own process.
      environment = this.#spawnFor(fn, id, env);
    } else {
      environment = this.#blanks.take(fn.memoryMb);
    }
    const handOff = environment.startedFor ? undefined : this.#sandbox.handOff(environment.id, fn);
    if (environment.startedFor) this.#sandbox.limit(environment.id, fn);
    const message: InitMessage = {
      t: 'init',
      codeDir: isolated ? INSIDE.task : fn.codeDir,
      handler: fn.handler,
      env,
      tmpDir: tmpDir || INSIDE.tmp,
      tmpLimitBytes: fn.ephemeralStorageMb * 1024 * 1024,
      functionName: fn.name,
      functionVersion: fn.version,
      memoryMb: fn.memoryMb,
      id: request.requestId,
      sandbox: handOff,
    };
    environment.key = key;
    const stopWatching = holdWhileBusy(environment, init.release);
    const done = (initMs?: number) => {
      stopWatching();
      init.release();
      init.ended(initMs);
    };
    this.#take(environment);
    const result = await environment.start(fn, key, message, request, tmpDir, done);
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
      // The next queued run started as this one answered.
      counted.running.set(environment, performance.now());
      if (result) this.#finished(counted, result);
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
      const list = this.#idle.get(environment.key);
      if (list) list.push(environment);
      else this.#idle.set(environment.key, [environment]);
    } else {
      environment.kill();
    }
  }

  /** A run of `demand`'s function ended in one of its environments. */
  #finished(demand: Demand, result: RunResult): void {
    demand.finished += 1;
    // Warm runs only: a first run pays for loading and compiling the handler.
    if (!result.coldStart)
      demand.averageMs =
        demand.averageMs === undefined ? result.durationMs : 0.8 * demand.averageMs + 0.2 * result.durationMs;
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
    if (!demand) return false;
    const idle = this.#idle.get(key)?.length ?? 0;
    if (demand.averageMs === undefined) return demand.starting >= STARTING_CAP && idle === 0;
    const cap = busyCap(demand);
    if (cap === Number.POSITIVE_INFINITY) return worthWaiting(demand, idle, performance.now());
    // Environments held by long runs are neither busy nor available here: they are not the hot set.
    const { recent, long } = recentBusy(demand, performance.now());
    return recent >= cap || (demand.environments - long >= cap && idle === 0);
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

  /** True when a cold start of `fn` would take a pre-started Node blank now (see #startAndRun). */
  #blankFits(fn: RuntimeFunction): boolean {
    if (speaksRuntimeApi(fn.runtime) || fn.environment.NODE_OPTIONS || !this.#sandbox.canHandOff(fn)) return false;
    return this.#blanks.has(fn.memoryMb);
  }

  /** A blank Node runtime with the heap limits of `memoryMb` (node-heap.ts). */
  #spawnBlank(memoryMb: number): Environment {
    const bootstrap = this.#sandbox.isolated ? `${INSIDE.dist}/runtime/bootstrap.js` : distPath('runtime/bootstrap.js');
    const node = this.#sandbox.isolated ? INSIDE.node : process.execPath;
    const args = [...nodeHeapArgs(memoryMb), bootstrap];
    return this.#spawn(randomBytes(16).toString('hex'), node, args, blankEnvironment(), '/');
  }

  #spawnFor(fn: RuntimeFunction, id: string, env: Record<string, string>): Environment {
    const execArgv = nodeHeapArgs(fn.memoryMb, env.NODE_OPTIONS);
    const isolated = this.#sandbox.isolated;
    const bootstrap = isolated ? `${INSIDE.dist}/runtime/bootstrap.js` : distPath('runtime/bootstrap.js');
    const node = isolated ? INSIDE.node : process.execPath;
    return this.#spawn(id, node, [...execArgv, bootstrap, '--from-start'], env, fn.codeDir, fn);
  }

  /** Starts an environment's process in its sandbox; `fn` when it is started for one function. */
  #spawn(
    id: string,
    command: string,
    args: string[],
    env: Record<string, string>,
    cwd: string,
    fn?: RuntimeFunction,
    api?: RuntimeApi,
  ): Environment {
    const launch = this.#sandbox.launch(id, command, args, env, fn, api !== undefined);
    const environment = new Environment({
      id,
      ...launch,
      launcher: this.#launcher,
      niceness: this.#sandbox.isolated ? undefined : ENVIRONMENT_NICENESS,
      sessionNiceness: ENVIRONMENT_NICENESS,
      cwd: this.#sandbox.isolated ? '/' : cwd,
      api,
      startedFor: fn !== undefined,
      runtimePid: (spawned) => this.#sandbox.runtimePid(spawned),
      oomKilled: () => this.#sandbox.oomKilled(id),
      log: this.#log,
      onDeath: (gone) => {
        this.#sandbox.release(gone.id);
        this.#forget(gone);
      },
    });
    this.#all.add(environment);
    return environment;
  }

  #refill(): void {
    if (this.#closed) return;
    this.#blanks.refill();
    this.#interpreters.refill();
  }

  #forget(environment: Environment): void {
    this.#all.delete(environment);
    this.#busy.delete(environment);
    this.#blanks.forget(environment);
    this.#interpreters.forget(environment);
    const list = this.#idle.get(environment.key);
    const at = list?.indexOf(environment) ?? -1;
    if (list && at >= 0) {
      list.splice(at, 1);
      if (list.length === 0) this.#idle.delete(environment.key);
    }
    const demand = this.#demand.get(environment.key);
    if (demand) {
      demand.environments -= 1;
      // One fewer environment to wait for: let a waiter start its own.
      demand.waiters.shift()?.(undefined);
      if (demand.environments <= 0 && demand.running.size === 0 && demand.waiters.length === 0)
        this.#demand.delete(environment.key);
    }
  }

  #reapIdle(): void {
    const cutoff = performance.now() - this.#idleMs;
    for (const [key, list] of this.#idle) {
      const stale = list.filter((environment) => environment.lastUsed <= cutoff);
      if (stale.length === 0) continue;
      const fresh = list.filter((environment) => environment.lastUsed > cutoff);
      if (fresh.length > 0) this.#idle.set(key, fresh);
      else this.#idle.delete(key);
      for (const environment of stale) environment.kill();
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
