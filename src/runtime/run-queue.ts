/**
 * The runs queued in one busy Node environment behind its running one (see pipeline.ts), in the
 * order the bootstrap starts them. Each resolves with its result once it ran, or with undefined when
 * it never started (the caller runs it elsewhere, unbilled).
 */
import type { RunRequest, RunResult } from './types.js';

/** A run sent to the environment while another ran; undefined means it never started. */
export interface QueuedRun {
  request: RunRequest;
  resolve: (result: RunResult | undefined) => void;
  /** Takes the run back if it has not started by then. */
  timer: NodeJS.Timeout;
}

/** The queued runs of one environment; see the module comment. */
export class RunQueue {
  #runs: QueuedRun[] = [];

  get length(): number {
    return this.#runs.length;
  }

  add(run: QueuedRun): void {
    this.#runs.push(run);
  }

  /** The next run, which the bootstrap started as it sent the running one's result. */
  next(): QueuedRun | undefined {
    const run = this.#runs.shift();
    if (run) clearTimeout(run.timer);
    return run;
  }

  /** The bootstrap gave run `id` back before it started it. */
  givenBack(id: string): void {
    const at = this.#runs.findIndex((run) => run.request.requestId === id);
    if (at < 0) return;
    const [run] = this.#runs.splice(at, 1);
    clearTimeout(run.timer);
    run.resolve(undefined);
  }

  /** The environment is gone: none of the runs still queued started. */
  abandon(): void {
    for (const run of this.#runs.splice(0)) {
      clearTimeout(run.timer);
      run.resolve(undefined);
    }
  }
}
