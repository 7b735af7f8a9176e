/**
 * Long polling: receivers waiting on a queue until a send wakes them, the next delayed or
 * in-flight message becomes visible, their deadline passes, or they are aborted.
 */
import type { Db } from '../../state/db.js';

/** The waiters of every queue of one store. */
export class LongPolls {
  readonly #db: Db;
  readonly #now: () => number;
  readonly #waiters = new Map<string, Set<() => void>>();

  constructor(db: Db, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Resolves on a wake of the queue, when its next hidden message becomes visible, at the deadline, or on abort. */
  wait(name: string, deadline: number, signal?: AbortSignal): Promise<void> {
    const now = this.#now();
    const next = this.#db
      .prepare('SELECT MIN(visible_at) AS t FROM sqs_messages WHERE queue = ? AND visible_at > ?')
      .get(name, now) as { t: number | null };
    const until = Math.min(deadline, next.t ?? deadline);
    return new Promise<void>((resolve) => {
      let set = this.#waiters.get(name);
      if (!set) {
        set = new Set();
        this.#waiters.set(name, set);
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0) this.#waiters.delete(name);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, until - now));
      set.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Wakes every waiter of one queue. */
  wake(name: string): void {
    const set = this.#waiters.get(name);
    if (set) for (const wake of [...set]) wake();
  }

  /** Wakes every waiter of every queue (the store is stopping). */
  wakeAll(): void {
    for (const set of this.#waiters.values()) for (const wake of set) wake();
  }
}
