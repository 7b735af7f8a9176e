/**
 * The rate a progress display shows: bytes per second over a sliding window of at least
 * PROGRESS_WINDOW_MS, never over a tiny interval (two reports a millisecond apart would make a
 * spike of thousands of MiB/s), and never ahead of what was counted.
 */

/** The window the rate is measured over (or the whole run, while it is shorter). */
export const PROGRESS_WINDOW_MS = 1_000;

/** Samples of a running byte total; answers the rate over the window ending now. */
export class ThroughputWindow {
  readonly #windowMs: number;
  #samples: Array<{ at: number; total: number }> = [];

  constructor(windowMs = PROGRESS_WINDOW_MS) {
    this.#windowMs = windowMs;
  }

  /** Records the running total at time `at` (ms); totals only grow, times never go back. */
  add(at: number, total: number): void {
    const last = this.#samples.at(-1);
    if (last && at < last.at) return;
    this.#samples.push({ at, total: Math.max(total, last?.total ?? 0) });
    // Keep the newest sample at least a window old (the base of the next rate) and everything after it.
    let base = 0;
    for (let i = 0; i < this.#samples.length; i++) {
      if ((this.#samples[i] as { at: number }).at <= at - this.#windowMs) base = i;
      else break;
    }
    if (base > 0) this.#samples.splice(0, base);
  }

  /** Bytes per second from the newest sample at least a window before `now` (else the first) to the latest. */
  perSecond(now: number): number {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (!first || !last) return 0;
    const seconds = (Math.max(now, last.at) - first.at) / 1000;
    return seconds > 0 ? (last.total - first.total) / seconds : 0;
  }
}
