/**
 * The engine's side of the launcher (launcher.ts): one small process, started once, that starts
 * every execution environment, so the engine itself never forks. A `LaunchedProcess` stands for one
 * such process here: its PID once started, its stdout, stderr and channel sockets once handed over,
 * and its exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Logger } from '../shared/log.js';
import { distPath } from '../shared/paths.js';
import type { LaunchReport, LaunchRequest } from './launcher-protocol.js';
import { childNiceness } from './server-priority.js';

/** What to start. */
export type LaunchOptions = Omit<LaunchRequest, 't'>;

/** The launcher's own heap stays small: it holds a few messages at a time. */
const LAUNCHER_HEAP_MB = 64;

/**
 * One process started by the launcher. Events: 'stdio' (fd, socket) as each stream is handed over,
 * 'error' (err) when it could not be started, 'exit' (code, signal), and 'close' (code, signal) once
 * it exited and its streams are closed (or right after 'error').
 */
export class LaunchedProcess extends EventEmitter {
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  #killed = false;
  #exited = false;
  #open = 0;
  #closed = false;

  /** Kills the process's whole group (now, or as soon as its PID is known). */
  kill(): void {
    this.#killed = true;
    if (this.pid === undefined || this.#exited) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // already gone
    }
  }

  /** @internal the launcher's report about this process. */
  onReport(report: LaunchReport, handle: Socket | undefined): void {
    switch (report.t) {
      case 'spawned':
        this.pid = report.pid;
        if (this.#killed) this.kill();
        return;
      case 'stdio':
        if (!handle) return;
        this.#open += 1;
        handle.once('close', () => {
          this.#open -= 1;
          this.#maybeClose();
        });
        this.emit('stdio', report.fd, handle);
        return;
      case 'failed':
        this.emit('error', Object.assign(new Error(report.message), { code: report.code }));
        this.#exit(null, null);
        return;
      case 'exit':
        this.#exit(report.code, report.signal as NodeJS.Signals | null);
        return;
    }
  }

  #exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exited) return;
    this.#exited = true;
    this.exitCode = code;
    this.signalCode = signal;
    this.emit('exit', code, signal);
    this.#maybeClose();
  }

  #maybeClose(): void {
    if (this.#closed || !this.#exited || this.#open > 0) return;
    this.#closed = true;
    this.emit('close', this.exitCode, this.signalCode);
  }
}

/** The launcher process of one engine; restarted on the next launch should it die. */
export class Launcher {
  #log: Logger;
  #process: ChildProcess | undefined;
  #launched = new Map<string, LaunchedProcess>();
  #closed = false;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** The launcher's PID (started on first use). */
  get pid(): number | undefined {
    return this.#started().pid;
  }

  /** Asks the launcher to start a process; failures arrive as the process's 'error' and 'close'. */
  launch(options: LaunchOptions): LaunchedProcess {
    const launched = new LaunchedProcess();
    const launcher = this.#started();
    this.#launched.set(options.id, launched);
    launched.once('close', () => this.#launched.delete(options.id));
    const request: LaunchRequest = { t: 'spawn', ...options };
    if (!launcher.connected) {
      queueMicrotask(() =>
        launched.onReport({ t: 'failed', id: options.id, code: 'ECHILD', message: 'the launcher is gone' }, undefined),
      );
    } else launcher.send(request);
    return launched;
  }

  /** Stops the launcher (its processes die with it). */
  close(): void {
    this.#closed = true;
    this.#process?.kill('SIGKILL');
  }

  #started(): ChildProcess {
    if (this.#process && this.#process.exitCode === null && this.#process.signalCode === null) return this.#process;
    const launcher = spawn(
      process.execPath,
      // A raised server passes the niceness it started with: the launcher (and so every environment) returns to it.
      [`--max-old-space-size=${LAUNCHER_HEAP_MB}`, distPath('runtime/launcher.js'), ...niceArg()],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      },
    );
    launcher.on('message', (report: LaunchReport, handle: Socket | undefined) =>
      this.#launched.get(report.id)?.onReport(report, handle),
    );
    launcher.on('error', (err) => this.#log.error('launcher failed', { err }));
    launcher.on('exit', (code, signal) => {
      if (!this.#closed) this.#log.error('launcher exited', { code, signal });
      // Its processes die with it (parent-death signal): each is reported gone.
      for (const [id, launched] of this.#launched)
        launched.onReport({ t: 'exit', id, code: null, signal: 'SIGKILL' }, undefined);
    });
    // Neither the process nor its channel keeps the engine alive.
    launcher.unref();
    launcher.channel?.unref();
    this.#process = launcher;
    return launcher;
  }
}

function niceArg(): string[] {
  const niceness = childNiceness();
  return niceness === undefined ? [] : [String(niceness)];
}
