import type { EngineContext } from '../shared/context.js';
import type { Logger } from '../shared/log.js';
import type { Db } from '../state/db.js';

/** A store whose buffered rows a batch writes inside its transaction. */
export interface BatchedWriter {
  /** Writes every buffered row (called inside the batch's transaction) and forgets them. */
  writePending(): void;
  /** Drops buffered rows that can no longer be written (the database is closed). */
  dropPending(): void;
}

/** How long rows may wait in memory before they are written. */
const FLUSH_MS = 50;
/** Rows after which a flush happens at the end of the current event-loop turn instead. */
const FLUSH_ROWS = 2000;

/**
 * Coalesces the invoke layer's bookkeeping writes (records, billing rows, log lines) into one
 * SQLite transaction every few milliseconds, so the hot path of an invocation does no synchronous
 * commit. Records and logs are not acknowledged writes (async event enqueue is, and does not go
 * through here); readers call `flush` first so they always see everything already appended.
 */
export class WriteBatch {
  #db: Db;
  #log: Logger;
  #writers: BatchedWriter[] = [];
  #rows = 0;
  #timer: NodeJS.Timeout | undefined;
  #soon = false;
  #flushNow = () => this.flush();

  constructor(db: Db, log: Logger) {
    this.#db = db;
    this.#log = log;
  }

  /** Adds a store that buffers rows for this batch. */
  register(writer: BatchedWriter): void {
    this.#writers.push(writer);
  }

  /** Notes one buffered row; the batch is written within FLUSH_MS (sooner when it grows large). */
  schedule(): void {
    this.#rows += 1;
    if (this.#rows >= FLUSH_ROWS && !this.#soon) {
      this.#soon = true;
      setImmediate(this.#flushNow);
    }
    // Unref'd: a process may exit with rows pending; the engine's close flushes them first.
    this.#timer ??= setTimeout(this.#flushNow, FLUSH_MS).unref();
  }

  /** Writes every buffered row now, in one transaction; a failed write is logged and its rows dropped. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#soon = false;
    if (this.#rows === 0) return;
    this.#rows = 0;
    if (!this.#db.open) {
      for (const writer of this.#writers) writer.dropPending();
      return;
    }
    try {
      this.#db.transaction(() => {
        for (const writer of this.#writers) writer.writePending();
      })();
    } catch (err) {
      this.#log.error('could not store invocation records and log lines', { err });
      for (const writer of this.#writers) writer.dropPending();
    }
  }
}

const batches = new WeakMap<Db, WriteBatch>();

/** The one write batch of an engine's database, shared by the stores of the invoke layer. */
export function writeBatchOf(context: Pick<EngineContext, 'db' | 'log'>): WriteBatch {
  let batch = batches.get(context.db);
  if (!batch) {
    batch = new WriteBatch(context.db, context.log.child({ component: 'invoke' }));
    batches.set(context.db, batch);
  }
  return batch;
}
