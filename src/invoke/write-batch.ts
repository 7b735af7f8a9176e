import type { EngineContext } from '../shared/context.js';
import type { Logger } from '../shared/log.js';
import type { Db } from '../state/db.js';

/** What writes one store's rows of a batch: `write` runs inside the batch's transaction. */
export interface BatchSink {
  write(rows: unknown): void;
}

/** A store of the invoke layer whose buffered rows a batch writes. */
export interface BatchedWriter {
  /** The buffered rows (plain data: they may cross to the writer thread), forgotten here; undefined when none. */
  take(): unknown;
  /** The sink that writes what `take` returned, on `db` (a database with the store's tables). */
  sink(db: Db): BatchSink;
  /** What the writer thread needs to build the same sink (plain data), if anything. */
  sinkOptions?: Record<string, unknown>;
}

/** Builds the target of an engine's batches once its stores have registered. */
export type TargetFactory = (writers: ReadonlyMap<string, BatchedWriter>) => BatchTarget;

/** The rows of one batch, by the name each store registered. */
export type BatchRows = Record<string, unknown>;

/** Where a batch's rows go: this thread's connection, or the bookkeeping writer thread's. */
export interface BatchTarget {
  /** Writes (or hands off) one batch; a failed write is logged and its rows dropped. */
  write(rows: BatchRows): void;
  /** Returns once every batch handed to `write` is committed. */
  settle(): void;
  /** Settles and stops (the batch writes later rows on its own thread). */
  close(): void;
}

/** How long rows may wait in memory before they are written. */
const FLUSH_MS = 50;
/** Rows after which a flush happens at the end of the current event-loop turn instead. */
const FLUSH_ROWS = 2000;

/**
 * Coalesces the invoke layer's bookkeeping writes (records, billing rows, log lines) into one
 * SQLite transaction every few milliseconds, so the hot path of an invocation does no synchronous
 * commit. Where the engine keeps them in their own database (see bookkeeping.ts), the transaction
 * runs on a writer thread, so the event loop does not even pay for the commit. Records and logs are
 * not acknowledged writes (async event enqueue is, and does not go through here); readers call
 * `flush` first so they always see everything already appended.
 */
export class WriteBatch {
  /** True when the stores' tables live in the engine's bookkeeping database (created there, not by the stores). */
  attached = false;
  #db: Db;
  #log: Logger;
  #writers = new Map<string, BatchedWriter>();
  #rows = 0;
  #timer: NodeJS.Timeout | undefined;
  #soon = false;
  #target: BatchTarget | undefined;
  #makeTarget: TargetFactory | undefined;
  #local: BatchTarget | undefined;
  #post = () => this.#handOff();

  constructor(db: Db, log: Logger) {
    this.#db = db;
    this.#log = log;
  }

  /** Adds a store that buffers rows for this batch, under a name unique in the batch. */
  register(name: string, writer: BatchedWriter): void {
    this.#writers.set(name, writer);
  }

  /** Sends batches to the target `make` builds at the first batch (the bookkeeping writer thread). */
  useTarget(make: TargetFactory): void {
    this.#makeTarget = make;
  }

  /** Notes one buffered row; the batch is written within FLUSH_MS (sooner when it grows large). */
  schedule(): void {
    this.#rows += 1;
    if (this.#rows >= FLUSH_ROWS && !this.#soon) {
      this.#soon = true;
      setImmediate(this.#post);
    }
    // Unref'd: a process may exit with rows pending; the engine's close flushes them first.
    this.#timer ??= setTimeout(this.#post, FLUSH_MS).unref();
  }

  /** Writes every buffered row now and returns once it is committed (readers call this first). */
  flush(): void {
    this.#handOff();
    this.#target?.settle();
  }

  /** Writes what is buffered and stops the writer thread, if any; later batches are written on this thread. */
  close(): void {
    this.#handOff();
    const target = this.#target;
    this.#target = undefined;
    this.#makeTarget = undefined;
    target?.close();
  }

  /** Takes every store's buffered rows and hands them to the target (or writes them here). */
  #handOff(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#soon = false;
    if (this.#rows === 0) return;
    this.#rows = 0;
    const rows: BatchRows = {};
    let any = false;
    for (const [name, writer] of this.#writers) {
      const taken = writer.take();
      if (taken === undefined) continue;
      rows[name] = taken;
      any = true;
    }
    if (!any) return;
    if (!this.#db.open) return;
    if (this.#makeTarget) {
      this.#target = this.#makeTarget(this.#writers);
      this.#makeTarget = undefined;
    }
    this.#target ??= this.#local ??= localTarget(this.#db, this.#writers, this.#log);
    this.#target.write(rows);
  }
}

/**
 * A target that writes each batch in one transaction on `db`, through sinks built from `writers`
 * (the same sinks the writer thread builds on its own connection).
 */
export function localTarget(
  db: Db,
  writers: ReadonlyMap<string, Pick<BatchedWriter, 'sink'>>,
  log: Pick<Logger, 'error'>,
): BatchTarget {
  // By writer: a store made again under the same name (a reopened one) gets a sink of its own.
  const sinks = new Map<Pick<BatchedWriter, 'sink'>, BatchSink>();
  const sinkOf = (name: string): BatchSink | undefined => {
    const writer = writers.get(name);
    if (!writer) return undefined;
    let sink = sinks.get(writer);
    if (!sink) {
      sink = writer.sink(db);
      sinks.set(writer, sink);
    }
    return sink;
  };
  return {
    write(rows) {
      try {
        db.transaction(() => {
          for (const [name, taken] of Object.entries(rows)) sinkOf(name)?.write(taken);
        })();
      } catch (err) {
        log.error('could not store invocation records and log lines', { err });
      }
    },
    settle() {},
    close() {},
  };
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
