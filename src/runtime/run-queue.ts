/**
 * The runs queued in one busy Node environment behind its running one (see pipeline.ts), in the
 * order the bootstrap starts them. Each resolves with its result once it ran, or with undefined when
 * it never started (the caller runs it elsewhere, unbilled).
 *
 * Whether a queued run started is decided once, by construction (protocol.ts, InvokeMessage.sb):
 * the bootstrap starts it only before its start-by time, and only once the frames telling the
 * engine so (the result of the run ahead) are in the engine's socket. So when the engine has read
 * that socket to its end after the start-by time without those frames, the run never starts, and
 * it is taken back then — however long the run ahead blocks its process's event loop.
 */
import { monotonicMs } from './protocol.js';
import type { RunRequest, RunResult } from './types.js';

/** A run sent to the environment while another ran; undefined means it never started. */
export interface QueuedRun {
  request: RunRequest;
  resolve: (result: RunResult | undefined) => void;
  /** The bootstrap does not start it after this time (monotonicMs()). */
  startBy: number;
  timer: NodeJS.Timeout | undefined;
}

/** Reads the environment's socket to its end, then calls `then` (false while a frame is partly read). */
export type CatchUp = (then: (whole: boolean) => void) => void;

/** How long to wait for the rest of a frame half read at a run's start-by time before looking again. */
const PARTIAL_FRAME_MS = 1;

/** The queued runs of one environment; see the module comment. */
export class RunQueue {
  #runs: QueuedRun[] = [];
  #catchUp: CatchUp;

  constructor(catchUp: CatchUp) {
    this.#catchUp = catchUp;
  }

  get length(): number {
    return this.#runs.length;
  }

  /** Queues a run the bootstrap may start for `patienceMs` from now; answers its start-by time. */
  add(request: RunRequest, resolve: QueuedRun['resolve'], patienceMs: number): number {
    const run: QueuedRun = { request, resolve, startBy: monotonicMs() + patienceMs, timer: undefined };
    run.timer = setTimeout(() => this.#expire(run), patienceMs);
    this.#runs.push(run);
    return run.startBy;
  }

  /** The next run, which the bootstrap started (or reports `cancelled`) after the one ahead ended. */
  next(): QueuedRun | undefined {
    const run = this.#runs.shift();
    if (run) clearTimeout(run.timer);
    return run;
  }

  /** The bootstrap dropped run `id` before it started it. */
  givenBack(id: string): void {
    const at = this.#runs.findIndex((run) => run.request.requestId === id);
    if (at >= 0) this.#takeBack(at);
  }

  /** The environment is gone: none of the runs still queued started. */
  abandon(): void {
    for (const run of this.#runs.splice(0)) {
      clearTimeout(run.timer);
      run.resolve(undefined);
    }
  }

  /** `run`'s start-by time is here: take it back unless the bootstrap has reached it (see the module comment). */
  #expire(run: QueuedRun): void {
    const early = run.startBy - monotonicMs();
    if (early > 0) {
      // A timer may fire up to a millisecond early against the clock (the event loop's cached time).
      run.timer = setTimeout(() => this.#expire(run), Math.ceil(early));
      return;
    }
    this.#catchUp((whole) => {
      const at = this.#runs.indexOf(run);
      if (at < 0) return; // started, or dropped, meanwhile
      if (whole) this.#takeBack(at);
      else run.timer = setTimeout(() => this.#expire(run), PARTIAL_FRAME_MS);
    });
  }

  #takeBack(at: number): void {
    const [run] = this.#runs.splice(at, 1);
    clearTimeout(run.timer);
    run.resolve(undefined);
  }
}
