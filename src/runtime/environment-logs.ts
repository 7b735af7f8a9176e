/**
 * Where an environment's log lines go (engine side): the lines the bootstrap sends as frames, and
 * what its process writes to stdout and stderr, each to the invocation it belongs to.
 */
import type { Socket } from 'node:net';

/** One invocation's log sink. */
export interface LogTarget {
  requestId: string;
  onLog: ((line: string) => void) | undefined;
}

/** Lines written while no invocation runs are kept for the next one, up to this many. */
const MAX_BACKLOG = 1000;
const STDERR_TAIL_CHARS = 4096;

/** Routes one environment's log lines to its invocations; see the module comment. */
export class EnvironmentLogs {
  /**
   * The invocation that has just answered and settles after this turn of the event loop: output its
   * process wrote before answering (a child process's, say) may be read later in that turn, and
   * belongs to it even when the next queued invocation runs already.
   */
  drained: LogTarget | undefined;
  /** The last invocation that ran or runs here (what a crash is reported against). */
  requestId = 'undefined';
  /** The last 4 kB of stderr (a heap OOM is told from its message). */
  stderrTail = '';
  #backlog: string[] = [];
  /** A custom runtime's lines are kept as written; the Node bootstrap's own output is tagged. */
  #raw: boolean;

  /** The invocation running now (or initializing), if any. */
  #running: () => LogTarget | undefined;

  constructor(raw: boolean, running: () => LogTarget | undefined) {
    this.#raw = raw;
    this.#running = running;
  }

  /** An invocation starts here: it also gets the lines written while none ran. */
  begin(target: LogTarget): void {
    this.requestId = target.requestId;
    if (this.#backlog.length === 0) return;
    const lines = this.#backlog;
    this.#backlog = [];
    for (const line of lines) target.onLog?.(line);
  }

  /** A line the bootstrap sent (already tagged with its request id): in order with its results. */
  line(line: string): void {
    const onLog = (this.#running() ?? this.drained)?.onLog;
    if (onLog) onLog(line);
    else if (this.#backlog.length < MAX_BACKLOG) this.#backlog.push(line);
  }

  /** Reads the process's stdout or stderr as lines at `level`. */
  pipe(stream: Socket, level: string, keepTail: boolean): void {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      if (keepTail) this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.#output(line, level);
    });
    stream.on('end', () => {
      if (partial) this.#output(partial, level);
    });
  }

  /** A line of the process's own output: the invocation that just answered's while it settles. */
  #output(line: string, level: string): void {
    const drained = this.drained;
    if (drained?.onLog) drained.onLog(this.#tag(line, level, drained.requestId));
    else this.line(this.#tag(line, level, this.requestId));
  }

  /**
   * A line of the process's own output as it enters the log: a custom runtime's lines are kept as
   * written (AWS passes a Runtime API runtime's stdout and stderr through unchanged; its Python
   * runtime formats only `logging` records), others are tagged like console.log's.
   */
  #tag(line: string, level: string, requestId: string): string {
    return this.#raw ? line : `${new Date().toISOString()}\t${requestId}\t${level}\t${line}`;
  }
}
