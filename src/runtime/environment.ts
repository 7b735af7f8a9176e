/**
 * One execution environment: a child process serving one function version, one invocation at a
 * time — the Node bootstrap over a private socket (fd 3, frames.ts), or a custom runtime's
 * `bootstrap` over the Runtime API (runtime-api.ts, same messages). It enforces the timeout, turns
 * a crash, an exit or a kill into AWS's error shapes, and routes the function's log lines.
 *
 * A busy Node environment can also take runs queued behind the running one (`enqueue`, see
 * pipeline.ts): their frames go down at once, the bootstrap starts each right after the previous
 * result, and each one's clock and timeout start here when that result arrives. One still queued at
 * its start-by time is taken back (run-queue.ts); whether it started is decided once, from the
 * socket, so none runs twice.
 */
import { rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Logger } from '../shared/log.js';
import { answeredResult, type CurrentRun, endedResult, goneResult, type KillReason } from './current-run.js';
import { EnvironmentChannel } from './environment-channel.js';
import { EnvironmentLogs } from './environment-logs.js';
import type { LaunchedProcess } from './launcher-client.js';
import { MemoryWatch, peakKb, schedMs } from './memory.js';
import {
  type ChildMessage,
  type InitMessage,
  invokeMessage,
  type ParentMessage,
  type ResultMessage,
} from './protocol.js';
import { channelBroken, exitError, outOfMemory, timedOut } from './run-errors.js';
import { RunQueue } from './run-queue.js';
import type { RuntimeApi } from './runtime-api.js';
import type { SpawnOptions } from './spawner.js';
import type { FunctionErrorShape, RunOutcome, RunRequest, RunResult, RuntimeFunction } from './types.js';

/** What init reported: Init Duration, and the AWS error when the handler could not be loaded. */
interface InitResult {
  ms: number;
  error?: FunctionErrorShape;
  outcome?: RunOutcome;
}

const EXIT_DRAIN_MS = 200;
/** AWS gives init 10 s, or the function timeout when that is longer. */
const INIT_LIMIT_S = 10;
const HEAP_OOM = /heap out of memory|Reached heap limit/;
/** Runs at least this long check the cgroup's OOM count when they answer (shorter ones met no sample either). */
const OOM_CHECK_RUN_MS = 15;

/** A process serving one function version; see the module comment. */
export class Environment {
  readonly id: string;
  fn: RuntimeFunction | undefined;
  key = '';
  /** The host directory serving as this environment's /tmp, removed when it dies ('' inside a sandbox, whose /tmp is a tmpfs). */
  hostTmpDir = '';
  lastUsed = 0;
  /** When the running invocation started (performance.now()), for the memory sampler. */
  busySince = 0;
  /** Drop this environment when its invocation finishes (the function changed). */
  retiring = false;
  readonly exited: Promise<void>;
  readonly startedFor: boolean;
  #child: LaunchedProcess;
  #runtimePid: number | undefined;
  #findRuntimePid: SpawnOptions['runtimePid'];
  #oomKilled: SpawnOptions['oomKilled'];
  #api: RuntimeApi | undefined;
  /** The frame socket of a Node environment (a Runtime API runtime's messages go through `#api`). */
  #channel: EnvironmentChannel;
  #memory: MemoryWatch;
  #log: Logger;
  #dead = false;
  #killReason: KillReason | undefined;
  #current: CurrentRun | undefined;
  /** Runs whose frames were sent while `#current` ran, in order (Node bootstrap only). */
  #queued: RunQueue;
  #init: ((result: InitResult) => void) | undefined;
  #logs: EnvironmentLogs;
  /** The process's stdout, stderr and channel as handed over by the launcher. */
  #streams: Socket[] = [];
  /** Why the frame channel was given up, when it was (reported for a cold start's init too). */
  #channelError: FunctionErrorShape | undefined;

  constructor(options: SpawnOptions) {
    this.id = options.id;
    this.#log = options.log;
    this.#api = options.api;
    this.#logs = new EnvironmentLogs(this.#api !== undefined, () => this.#current);
    this.#channel = new EnvironmentChannel(this.id, this.#log, {
      message: (message) => this.#onMessage(message),
      broken: (err) => this.#breakChannel(err),
    });
    this.#queued = new RunQueue((then) => this.#channel.caughtUp(then));
    this.#child = options.launcher.launch({
      id: options.id,
      command: options.command,
      args: options.args,
      env: options.env,
      cwd: options.cwd,
      channel: !this.#api,
      niceness: options.niceness,
      sessionNiceness: options.sessionNiceness,
    });
    this.startedFor = options.startedFor;
    this.#findRuntimePid = options.runtimePid;
    this.#oomKilled = options.oomKilled;
    this.#memory = new MemoryWatch(() => this.#runtime(), options.oomKilled);
    if (this.#api) this.#api.onMessage((message) => this.#onMessage(message));
    this.#child.on('stdio', (fd: number, socket: Socket) => {
      if (fd === 3) {
        this.#streams.push(socket);
        this.#channel.open(socket);
      } else {
        this.#streams.push(socket);
        this.#logs.pipe(socket, fd === 1 ? 'INFO' : 'ERROR', fd === 2);
      }
    });
    this.exited = new Promise((resolve) => {
      this.#child.on('error', (err) => this.#log.error('environment process failed', { environment: this.id, err }));
      this.#child.on('close', (code, signal) => this.#onGone(code, signal, options, resolve));
      // A grandchild that inherited stdout/stderr would hold 'close' back forever; stop reading soon after exit.
      this.#child.on('exit', () => {
        setTimeout(() => {
          for (const stream of this.#streams) stream.destroy();
        }, EXIT_DRAIN_MS).unref();
      });
    });
  }

  /** True while the process runs and has not been told to die. */
  get alive(): boolean {
    return !this.#dead && this.#killReason === undefined;
  }

  /** The request id of the invocation running now, if any. */
  get runningRequestId(): string | undefined {
    return this.#current?.requestId;
  }

  /**
   * True when a run may be queued here now: a warm Node environment (a Runtime API runtime asks for
   * its runs one at a time) that is alive and past init.
   */
  get takesQueued(): boolean {
    return this.alive && !this.#api && !this.#init && this.fn !== undefined;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /**
   * Turns the (blank or freshly spawned) runtime into `fn`'s environment and runs the first
   * invocation. Init and invoke go down together, so a cold start costs one round trip; the
   * invocation's timeout starts when init is done (init has its own limit, as on AWS). `initDone`
   * is called once init is over, however it ended, with its duration (ms) when it succeeded.
   */
  start(
    fn: RuntimeFunction,
    key: string,
    message: InitMessage,
    request: RunRequest,
    hostTmpDir: string,
    initDone: (initMs?: number) => void = () => undefined,
  ): Promise<RunResult> {
    this.fn = fn;
    this.key = key;
    this.hostTmpDir = hostTmpDir;
    this.#send(message);
    return new Promise((resolve) => {
      const initLimitS = Math.max(fn.timeoutS, INIT_LIMIT_S);
      const timer = setTimeout(() => {
        this.#init?.({ ms: initLimitS * 1000, outcome: 'timeout', error: timedOut(initLimitS) });
      }, initLimitS * 1000);
      this.#init = (result) => {
        initDone(result.error ? undefined : result.ms);
        clearTimeout(timer);
        this.#init = undefined;
        const pending = this.#current;
        if (!pending) return;
        if (!result.error) {
          pending.initMs = result.ms;
          this.#arm(pending);
          return;
        }
        this.#current = undefined;
        this.kill(result.outcome === 'timeout' ? 'timeout' : 'reap');
        resolve({
          outcome: result.outcome ?? 'unhandled',
          error: result.error,
          durationMs: 0,
          initDurationMs: result.ms,
          maxMemoryUsedMb: Math.ceil(peakKb(this.#runtime()) / 1024),
          coldStart: true,
        });
      };
      this.#begin(request, resolve, false);
    });
  }

  /** Runs one invocation in this warm environment; never rejects — every failure is a RunResult. */
  run(request: RunRequest): Promise<RunResult> {
    return new Promise((resolve) => this.#begin(request, resolve, true));
  }

  /**
   * Runs `request` now when nothing runs here, else sends it to run right after the runs before it
   * (its clock and timeout start when the previous result arrives). Resolves undefined when it never
   * started: the environment was gone, or died, timed out or was killed for memory first, or the
   * runs before it were still going after `patienceMs` and it was taken back (run-queue.ts); the
   * caller runs it elsewhere, and nothing was billed.
   */
  enqueue(request: RunRequest, patienceMs: number): Promise<RunResult | undefined> {
    if (!this.alive) return Promise.resolve(undefined);
    if (!this.#current && !this.#init && this.#queued.length === 0) return this.run(request);
    return new Promise((resolve) => {
      const startBy = this.#queued.add(request, resolve, patienceMs);
      this.#send(invokeMessage(request, (this.fn as RuntimeFunction).timeoutS, startBy), true);
    });
  }

  /**
   * The host PID of the runtime process itself: inside a sandbox a grandchild of the spawned
   * process, told apart from the sandbox's own set-up commands only once the runtime has spoken.
   */
  #runtime(): number | undefined {
    return this.#runtimePid;
  }

  /**
   * Samples RSS (VmRSS) while an invocation runs and kills the environment past its memory, or
   * once the kernel's OOM killer hit a process of its memory cgroup (a child it started, say).
   */
  checkMemory(now: number, minRunningMs: number): void {
    if (!this.#current || !this.alive || now - this.busySince < minRunningMs) return;
    if (this.#memory.exceeded(now, (this.fn as RuntimeFunction).memoryMb)) this.#failCurrent('oom');
  }

  /**
   * Milliseconds the runtime process has run or waited to run on a CPU (/proc/<pid>/schedstat);
   * undefined before the runtime has spoken or once it is gone, or where the kernel keeps no such count.
   */
  schedMs(): number | undefined {
    return schedMs(this.#runtime());
  }

  /** Kills the process (idempotent). A running invocation ends with the reason's outcome. */
  kill(reason: KillReason = 'reap'): void {
    if (this.#dead) return;
    this.#killReason ??= reason;
    this.#child.kill();
  }

  #begin(request: RunRequest, resolve: (result: RunResult) => void, armNow: boolean): void {
    this.#track(request, resolve, armNow);
    this.#send(invokeMessage(request, (this.fn as RuntimeFunction).timeoutS));
  }

  /** Makes `request` the running invocation: its logs, its clock and (when warm) its timeout. */
  #track(request: RunRequest, resolve: (result: RunResult) => void, armNow: boolean): CurrentRun {
    this.busySince = performance.now();
    const pending: CurrentRun = {
      resolve,
      requestId: request.requestId,
      onLog: request.onLog,
      started: this.busySince,
      initMs: null,
      cold: !armNow,
      timer: undefined,
    };
    this.#current = pending;
    this.#logs.begin(pending);
    if (armNow) this.#arm(pending);
    return pending;
  }

  /** Starts the invocation's clock and timeout. */
  #arm(pending: CurrentRun): void {
    pending.started = performance.now();
    this.busySince = pending.started;
    pending.timer = setTimeout(() => this.#expire(pending), (this.fn as RuntimeFunction).timeoutS * 1000);
  }

  #onMessage(message: ChildMessage): void {
    this.#runtimePid ??= this.#findRuntimePid(this.#child.pid);
    switch (message.t) {
      case 'result': {
        const pending = this.#current;
        this.#current = undefined;
        if (pending) this.#answered(pending, message);
        // The bootstrap went on to the next queued run as it sent this result (even one the engine
        // already ended, for its timeout say), unless it held them back for its memory.
        if (message.h === undefined) this.#startQueued();
        return;
      }
      case 'cancelled': {
        const pending = this.#current;
        if (pending?.requestId !== message.id || !pending.giveBack) {
          this.#queued.givenBack(message.id);
          return;
        }
        // The run counted as started when the result ahead arrived was dropped: the next one is up.
        this.#current = undefined;
        clearTimeout(pending.timer);
        pending.giveBack();
        this.#startQueued();
        return;
      }
      case 'log':
        this.#logs.line(message.l);
        return;
      case 'inited':
        this.#init?.({ ms: message.ms, error: message.error, outcome: message.error ? 'unhandled' : undefined });
        return;
      case 'fatal':
        if (this.#current) this.#current.fatal = message.e;
        return;
      case 'ready':
        return;
    }
  }

  /** `pending` answered with `message`: settles it (as over its memory, when it was). */
  #answered(pending: CurrentRun, message: ResultMessage): void {
    clearTimeout(pending.timer);
    const fn = this.fn as RuntimeFunction;
    const peak = message.rss >= 0 ? message.rss : peakKb(this.#runtime());
    const maxMemoryUsedMb = Math.ceil(peak / 1024);
    if (
      message.h !== undefined ||
      maxMemoryUsedMb > fn.memoryMb ||
      // A doomed run's environment is ending for the one ahead of it, whose OOM count this still is.
      (!pending.doomed && performance.now() - pending.started >= OOM_CHECK_RUN_MS && this.#oomKilled())
    ) {
      this.kill('oom');
      const reported = Math.max(maxMemoryUsedMb, fn.memoryMb);
      pending.resolve(endedResult(pending, fn, 'oom', outOfMemory(pending.requestId), reported));
      return;
    }
    const result = answeredResult(pending, message, maxMemoryUsedMb);
    // Output the process wrote to stdout/stderr before answering (a child process's, say) is
    // already readable on those sockets, but its read may come later in this turn of the event
    // loop: settle after that turn, so those lines belong to this invocation.
    this.#logs.drained = pending;
    setImmediate(() => {
      if (this.#logs.drained === pending) this.#logs.drained = undefined;
      pending.resolve(result);
    });
  }

  /**
   * The bootstrap started its next queued run (or reports it dropped, see 'cancelled'): its clock
   * starts now. Started is started: should the environment be ending already, it is doomed with it,
   * never run twice.
   */
  #startQueued(): void {
    const next = this.#queued.next();
    if (!next) return;
    const pending = this.#track(next.request, next.resolve, true);
    pending.giveBack = () => next.resolve(undefined);
    pending.doomed = !this.alive;
  }

  /** Writes a message to the process: over the Runtime API, or as a frame (see EnvironmentChannel.send). */
  #send(message: ParentMessage, batch = false): void {
    if (this.#api) this.#api.send(message);
    else this.#channel.send(message, batch);
  }

  /**
   * The process wrote something that is not a frame to its socket (a function can reach fd 3): the
   * environment cannot be trusted any more. It is killed, and its run fails like a crash.
   */
  #breakChannel(err: Error): void {
    this.#log.warn('environment broke its frame channel', { environment: this.id, err });
    const error = channelBroken(this.#current?.requestId ?? this.#logs.requestId, err.message);
    if (this.#current) this.#current.fatal = error;
    this.#channelError = error;
    this.kill('reap');
  }

  /**
   * The run's time is up. Checked after this turn's I/O (timers run before it): a result already in
   * the socket is read first, so a run that answered in time is not failed, and the run queued
   * behind it, which the bootstrap has started, is not killed with it.
   */
  #expire(pending: CurrentRun): void {
    setImmediate(() => {
      if (this.#current === pending) this.#failCurrent('timeout');
    });
  }

  /** Ends the running invocation now with a timeout or OOM, and kills the process. */
  #failCurrent(reason: 'timeout' | 'oom'): void {
    const pending = this.#current;
    if (!pending) return;
    this.#current = undefined;
    clearTimeout(pending.timer);
    const fn = this.fn as RuntimeFunction;
    const peakMb = Math.ceil(peakKb(this.#runtime()) / 1024);
    this.kill(reason);
    const error = reason === 'timeout' ? timedOut(fn.timeoutS) : outOfMemory(pending.requestId);
    pending.resolve(endedResult(pending, fn, reason, error, reason === 'oom' ? Math.max(peakMb, fn.memoryMb) : peakMb));
  }

  #onGone(code: number | null, signal: NodeJS.Signals | null, options: SpawnOptions, resolve: () => void): void {
    if (this.#dead) return;
    this.#dead = true;
    const heapOom = HEAP_OOM.test(this.#logs.stderrTail) || (this.#killReason === undefined && this.#oomKilled());
    this.#init?.({
      ms: 0,
      outcome: heapOom ? 'oom' : 'unhandled',
      error: heapOom
        ? outOfMemory(this.#logs.requestId)
        : (this.#channelError ?? exitError(this.#logs.requestId, code, signal)),
    });
    const pending = this.#current;
    this.#current = undefined;
    // Queued runs that never started: the caller runs them elsewhere.
    this.#queued.abandon();
    if (pending) {
      clearTimeout(pending.timer);
      pending.resolve(goneResult(pending, this.fn as RuntimeFunction, this.#killReason, heapOom, code, signal));
    }
    this.#api?.close();
    this.#memory.close();
    if (this.hostTmpDir) rmSync(this.hostTmpDir, { recursive: true, force: true });
    options.onDeath(this);
    resolve();
  }
}
