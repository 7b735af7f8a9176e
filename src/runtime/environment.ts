/**
 * One execution environment: a child process serving one function version, one invocation at a
 * time — the Node bootstrap over a private socket (fd 3, frames.ts), or a custom runtime's
 * `bootstrap` over the Runtime API (runtime-api.ts, same messages). It enforces the timeout, turns
 * a crash, an exit or a kill into AWS's error shapes, and routes the function's log lines.
 *
 * A busy Node environment can also take runs queued behind the running one (`enqueue`, see
 * pipeline.ts): their frames go down at once, the bootstrap starts each right after the previous
 * result, and each one's clock and timeout start here when that result arrives.
 */
import { readFileSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { hasCode } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import { EnvironmentLogs } from './environment-logs.js';
import { encodeFrame, FrameReader } from './frames.js';
import type { LaunchedProcess, Launcher } from './launcher-client.js';
import { peakKb, ResidentMeter } from './memory.js';
import { type ChildMessage, type InitMessage, MAX_CHILD_FRAME_BYTES, type ParentMessage } from './protocol.js';
import { channelBroken, exitError, INVALID_FRAME, outOfMemory, timedOut } from './run-errors.js';
import type { RuntimeApi } from './runtime-api.js';
import type { FunctionErrorShape, RunOutcome, RunRequest, RunResult, RuntimeFunction } from './types.js';

/** How to start the process. */
export interface SpawnOptions {
  id: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Starts the process (the engine never forks itself: see launcher.ts). */
  launcher: Launcher;
  /** Niceness the launcher sets on the process (the process level; a sandbox runs `nice` itself). */
  niceness?: number;
  /** Niceness the launcher sets on the session the process leads (every level: see LaunchRequest). */
  sessionNiceness?: number;
  /** The Runtime API server of a custom runtime; without it the process is the Node bootstrap over IPC. */
  api?: RuntimeApi;
  /** True when the process was started for one function (not a blank runtime handed one at init). */
  startedFor: boolean;
  /** The runtime's own host PID given the spawned process's (they differ inside a sandbox). */
  runtimePid: (spawned: number | undefined) => number | undefined;
  /** True when the kernel killed the environment for its memory cgroup. */
  oomKilled: () => boolean;
  log: Logger;
  /** Called once when the process is gone (after its tmp dir is removed). */
  onDeath: (environment: Environment) => void;
}

/** What init reported: Init Duration, and the AWS error when the handler could not be loaded. */
interface InitResult {
  ms: number;
  error?: FunctionErrorShape;
  outcome?: RunOutcome;
}

interface Pending {
  resolve: (result: RunResult) => void;
  requestId: string;
  onLog: ((line: string) => void) | undefined;
  started: number;
  initMs: number | null;
  cold: boolean;
  timer: NodeJS.Timeout | undefined;
  fatal?: FunctionErrorShape;
}

/** A run sent to the environment while another ran; undefined means it never started. */
interface Queued {
  request: RunRequest;
  resolve: (result: RunResult | undefined) => void;
  /** Takes the run back if it has not started by then (see enqueue). */
  timer: NodeJS.Timeout;
}

type KillReason = 'timeout' | 'oom' | 'reap';

const EMPTY_EVENT = Buffer.from('{}');
const EXIT_DRAIN_MS = 200;
/** AWS gives init 10 s, or the function timeout when that is longer. */
const INIT_LIMIT_S = 10;
const HEAP_OOM = /heap out of memory|Reached heap limit/;
/** Resident memory, as a share of the memory size, from which the sampler checks the cgroup's OOM count at each sample. */
const NEAR_CAP = 0.8;
/** How often the sampler checks the cgroup's OOM count of a busy environment far from its cap. */
const OOM_CHECK_MS = 250;
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
  #channel: Socket | undefined;
  /**
   * Frames not written yet: those sent before the launcher handed the channel over (a process
   * started for its first run), and those sent in this turn of the event loop (see #send).
   */
  #outbox: Buffer[] = [];
  #flushing = false;
  #meter: ResidentMeter;
  #log: Logger;
  #dead = false;
  #killReason: KillReason | undefined;
  #current: Pending | undefined;
  /** Runs whose frames were sent while `#current` ran, in order (Node bootstrap only). */
  #queued: Queued[] = [];
  /** A run that has answered and is settled after this turn of the event loop (see 'result'). */
  #init: ((result: InitResult) => void) | undefined;
  #logs: EnvironmentLogs;
  /** The process's stdout, stderr and channel as handed over by the launcher. */
  #streams: Socket[] = [];
  /** Why the frame channel was given up, when it was (reported for a cold start's init too). */
  #channelError: FunctionErrorShape | undefined;
  /** When the sampler last read the cgroup's OOM count (performance.now()). */
  #oomCheckedAt = 0;

  constructor(options: SpawnOptions) {
    this.id = options.id;
    this.#log = options.log;
    this.#api = options.api;
    this.#logs = new EnvironmentLogs(this.#api !== undefined, () => this.#current);
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
    this.#meter = new ResidentMeter(() => this.#runtime());
    if (this.#api) this.#api.onMessage((message) => this.#onMessage(message));
    this.#child.on('stdio', (fd: number, socket: Socket) => {
      if (fd === 3) this.#openChannel(socket);
      else {
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
   * runs before it took longer than `patienceMs` and the bootstrap gave it back; the caller runs it
   * elsewhere, and nothing was billed.
   */
  enqueue(request: RunRequest, patienceMs: number): Promise<RunResult | undefined> {
    if (!this.alive) return Promise.resolve(undefined);
    if (!this.#current && !this.#init && this.#queued.length === 0) return this.run(request);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#send({ t: 'cancel', id: request.requestId }, true), patienceMs);
      this.#queued.push({ request, resolve, timer });
      this.#send(this.#invokeMessage(request), true);
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
    if (!this.#current || this.#dead || now - this.busySince < minRunningMs) return;
    const capKb = (this.fn as RuntimeFunction).memoryMb * 1024;
    const rssKb = this.#meter.kb();
    if (rssKb > capKb) {
      this.#failCurrent('oom');
      return;
    }
    // The cgroup's OOM count is a file read per look: look often only near the cap; otherwise now
    // and then (a child process can hit the cgroup's limit alone), and at every longer run's end.
    if (rssKb < capKb * NEAR_CAP && now - this.#oomCheckedAt < OOM_CHECK_MS) return;
    this.#oomCheckedAt = now;
    if (this.#oomKilled()) this.#failCurrent('oom');
  }

  /**
   * Milliseconds the runtime process has run or waited to run on a CPU (/proc/<pid>/schedstat);
   * undefined before the runtime has spoken or once it is gone, or where the kernel keeps no such count.
   */
  schedMs(): number | undefined {
    const pid = this.#runtime();
    if (pid === undefined) return undefined;
    try {
      const [running, waiting] = readFileSync(`/proc/${pid}/schedstat`, 'latin1').split(' ');
      return (Number(running) + Number(waiting)) / 1e6;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ESRCH') return undefined;
      throw err;
    }
  }

  /** Kills the process (idempotent). A running invocation ends with the reason's outcome. */
  kill(reason: KillReason = 'reap'): void {
    if (this.#dead) return;
    this.#killReason ??= reason;
    this.#child.kill();
  }

  #begin(request: RunRequest, resolve: (result: RunResult) => void, armNow: boolean): void {
    this.#track(request, resolve, armNow);
    this.#send(this.#invokeMessage(request));
  }

  /** Makes `request` the running invocation: its logs, its clock and (when warm) its timeout. */
  #track(request: RunRequest, resolve: (result: RunResult) => void, armNow: boolean): void {
    this.busySince = performance.now();
    const pending: Pending = {
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
  }

  #invokeMessage(request: RunRequest): ParentMessage {
    return {
      t: 'invoke',
      id: request.requestId,
      p: request.payload.length === 0 ? EMPTY_EVENT : request.payload,
      arn: request.invokedFunctionArn,
      ms: (this.fn as RuntimeFunction).timeoutS * 1000,
      cc: request.clientContext,
    };
  }

  /** Starts the invocation's clock and timeout. */
  #arm(pending: Pending): void {
    pending.started = performance.now();
    this.busySince = pending.started;
    pending.timer = setTimeout(() => this.#expire(pending), (this.fn as RuntimeFunction).timeoutS * 1000);
  }

  #onMessage(message: ChildMessage): void {
    this.#runtimePid ??= this.#findRuntimePid(this.#child.pid);
    switch (message.t) {
      case 'result': {
        const pending = this.#current;
        if (!pending) return;
        this.#current = undefined;
        clearTimeout(pending.timer);
        const fn = this.fn as RuntimeFunction;
        const peak = message.rss >= 0 ? message.rss : peakKb(this.#runtime());
        const maxMemoryUsedMb = Math.ceil(peak / 1024);
        if (
          maxMemoryUsedMb > fn.memoryMb ||
          (performance.now() - pending.started >= OOM_CHECK_RUN_MS && this.#oomKilled())
        ) {
          this.kill('oom');
          const reported = Math.max(maxMemoryUsedMb, fn.memoryMb);
          pending.resolve(this.#resultOf(pending, 'oom', outOfMemory(pending.requestId), reported));
          return;
        }
        const result: RunResult = {
          outcome: message.e ? (message.k ?? 'handled') : 'success',
          payload: message.p,
          error: message.e,
          durationMs: message.ms,
          initDurationMs: pending.initMs,
          maxMemoryUsedMb,
          coldStart: pending.cold,
        };
        // Output the process wrote to stdout/stderr before answering (a child process's, say) is
        // already readable on those sockets, but its read may come later in this turn of the event
        // loop: settle after that turn, so those lines belong to this invocation.
        this.#logs.drained = pending;
        setImmediate(() => {
          if (this.#logs.drained === pending) this.#logs.drained = undefined;
          pending.resolve(result);
        });
        // The bootstrap started the next queued run as it sent this result: its clock starts now.
        const next = this.#queued.shift();
        if (next) {
          clearTimeout(next.timer);
          this.#track(next.request, next.resolve, true);
        }
        return;
      }
      case 'cancelled': {
        const at = this.#queued.findIndex((queued) => queued.request.requestId === message.id);
        if (at < 0) return;
        const [queued] = this.#queued.splice(at, 1);
        clearTimeout(queued.timer);
        queued.resolve(undefined);
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

  /**
   * Writes a message to the process. A frame for a busy environment (`batch`: a queued run, which
   * cannot start before the running one ends anyway) waits for the end of this turn of the event
   * loop, so the runs a busy server hands one environment in one turn reach it in one write and one
   * wake-up; any other frame leaves at once (behind those, in order).
   */
  #send(message: ParentMessage, batch = false): void {
    if (this.#api) {
      this.#api.send(message);
      return;
    }
    let frame: Buffer;
    if (message.t === 'invoke') {
      const { p, ...header } = message;
      frame = encodeFrame(header, p);
    } else frame = encodeFrame(message);
    this.#outbox.push(frame);
    if (!this.#channel) return;
    if (!batch) this.#flush();
    else if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(() => this.#flush());
    }
  }

  /** Writes the frames not written yet, in one write. */
  #flush(): void {
    this.#flushing = false;
    const frames = this.#outbox;
    if (frames.length === 0 || !this.#channel) return;
    this.#outbox = [];
    this.#channel.write(frames.length === 1 ? frames[0] : Buffer.concat(frames));
  }

  /** Reads the bootstrap's frames from its socket (fd 3 in the child). */
  #openChannel(channel: Socket): void {
    this.#channel = channel;
    this.#streams.push(channel);
    this.#flush();
    const reader = new FrameReader<ChildMessage>((message) => this.#onMessage(message), MAX_CHILD_FRAME_BYTES);
    let broken = false;
    channel.on('data', (chunk: Buffer) => {
      if (broken) return;
      try {
        reader.push(chunk);
      } catch (err) {
        if (!hasCode(err, INVALID_FRAME)) throw err;
        broken = true;
        this.#breakChannel(err);
      }
    });
    // A write to a process that just died fails with EPIPE; its exit is reported by 'close'.
    channel.on('error', (err) => this.#log.debug('environment channel failed', { environment: this.id, err }));
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
  #expire(pending: Pending): void {
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
    pending.resolve(this.#resultOf(pending, reason, error, reason === 'oom' ? Math.max(peakMb, fn.memoryMb) : peakMb));
  }

  #resultOf(pending: Pending, outcome: RunOutcome, error: FunctionErrorShape, maxMemoryUsedMb: number): RunResult {
    const elapsed = performance.now() - pending.started;
    const fn = this.fn as RuntimeFunction;
    return {
      outcome,
      error,
      durationMs: outcome === 'timeout' ? Math.max(elapsed, fn.timeoutS * 1000) : elapsed,
      initDurationMs: pending.initMs,
      maxMemoryUsedMb,
      coldStart: pending.cold,
    };
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
    for (const queued of this.#queued.splice(0)) {
      clearTimeout(queued.timer);
      queued.resolve(undefined);
    }
    if (pending) {
      clearTimeout(pending.timer);
      const reason = this.#killReason === 'timeout' || this.#killReason === 'oom' ? this.#killReason : undefined;
      const fn = this.fn as RuntimeFunction;
      if (reason === 'timeout') pending.resolve(this.#resultOf(pending, 'timeout', timedOut(fn.timeoutS), 0));
      else if (reason === 'oom' || heapOom)
        pending.resolve(this.#resultOf(pending, 'oom', outOfMemory(pending.requestId), fn.memoryMb));
      else
        pending.resolve(
          this.#resultOf(pending, 'unhandled', pending.fatal ?? exitError(pending.requestId, code, signal), 0),
        );
    }
    this.#api?.close();
    this.#meter.close();
    if (this.hostTmpDir) rmSync(this.hostTmpDir, { recursive: true, force: true });
    options.onDeath(this);
    resolve();
  }
}

/** How long a close waits for killed environments to be reported gone before it stops the launcher anyway. */
const CLOSE_WAIT_MS = 5_000;

/**
 * Waits for the killed environments' exits. The launcher's channel does not hold the event loop (an
 * engine left idle may end its process), so a timer holds it meanwhile: without one the process
 * could end in the middle of a close, before the launcher reported the exits. Bounded: stopping the
 * launcher next takes its children with it (parent-death signal).
 */
export async function untilExited(environments: readonly Environment[]): Promise<void> {
  let hold: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    hold = setTimeout(resolve, CLOSE_WAIT_MS);
  });
  try {
    await Promise.race([Promise.all(environments.map((environment) => environment.exited)), bound]);
  } finally {
    clearTimeout(hold);
  }
}
