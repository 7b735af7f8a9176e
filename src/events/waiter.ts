/**
 * Wakes sleeping pollers: `wait(ms)` resolves on the next `wake()`, after `ms`, or when the
 * signal aborts. Timers are cleared on every path.
 */
export class Waiter {
  #waiting = new Set<() => void>();

  wake(): void {
    for (const resolve of [...this.#waiting]) resolve();
  }

  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal.addEventListener('abort', done, { once: true });
      this.#waiting.add(done);
    });
  }
}
