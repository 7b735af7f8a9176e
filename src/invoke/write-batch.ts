import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { childNiceness } from '../runtime/index.js';
import type { EngineContext } from '../shared/context.js';
import type { Logger } from '../shared/log.js';
import { distPath } from '../shared/paths.js';
import type { Db } from '../state/db.js';
import { type BatchedTable, type BatchRows, RowWriter } from './batch-rows.js';
import type { BatchMessage, WriteBatchWork } from './write-batch-worker.js';

export type { BatchedTable } from './batch-rows.js';

/** How long rows may wait in memory before they are written. */
const FLUSH_MS = 50;
/** Rows after which a flush happens at the end of the current event-loop turn instead. */
const FLUSH_ROWS = 2000;
/** How long `flush` waits for the thread to write what it was handed. */
const FLUSH_WAIT_MS = 10_000;
const WORKER_FILE = 'invoke/write-batch-worker.js';
/** Slots of the shared Int32Array: the last batch written, and whether the thread closed its connection. */
const DONE = 0;
const CLOSED = 1;

/**
 * Coalesces the invoke layer's bookkeeping writes (records, billing rows, log lines) into one
 * SQLite transaction every few milliseconds, written by a thread of its own with its own
 * connection (write-batch-worker.ts), so the event loop of a busy server spends its time on
 * requests rather than on B-tree inserts. Records and logs are not acknowledged writes (async event
 * enqueue is, and does not go through here); readers call `flush` first, which returns once
 * everything appended before it is in the database, so they always see it.
 * Where the thread cannot run (its compiled file is missing), the batch is written on the event loop.
 */
export class WriteBatch {
  #db: Db;
  #log: Logger;
  #tables: BatchedTable[] = [];
  #rows: BatchRows = [];
  #count = 0;
  #timer: NodeJS.Timeout | undefined;
  #soon = false;
  #flushNow = () => this.#post();
  #worker: Worker | undefined;
  #workerFailed = false;
  /** Tables the thread has been told of. */
  #tablesSent = 0;
  #slots = new Int32Array(new SharedArrayBuffer(8));
  #posted = 0;
  #here: RowWriter | undefined;

  constructor(db: Db, log: Logger) {
    this.#db = db;
    this.#log = log;
  }

  /** Adds a table rows are appended to; returns its number for `add`. */
  table(spec: BatchedTable): number {
    this.#tables.push(spec);
    this.#here = undefined;
    return this.#tables.length - 1;
  }

  /** Appends one row to `table`; the batch is written within FLUSH_MS (sooner when it grows large). */
  add(table: number, ...values: Array<string | number | null>): void {
    let rows = this.#rows[table];
    if (!rows) {
      rows = [];
      this.#rows[table] = rows;
    }
    for (const value of values) rows.push(value);
    this.#count += 1;
    if (this.#count >= FLUSH_ROWS && !this.#soon) {
      this.#soon = true;
      setImmediate(this.#flushNow);
    }
    // Unref'd: a process may exit with rows pending; the engine's close flushes them first.
    this.#timer ??= setTimeout(this.#flushNow, FLUSH_MS).unref();
  }

  /** Writes every row appended so far, returning once they are in the database (a failed write is logged, its rows dropped). */
  flush(): void {
    this.#post();
    const deadline = Date.now() + FLUSH_WAIT_MS;
    let done = Atomics.load(this.#slots, DONE);
    while (done < this.#posted && this.#worker && Date.now() < deadline) {
      Atomics.wait(this.#slots, DONE, done, deadline - Date.now());
      done = Atomics.load(this.#slots, DONE);
    }
    if (done < this.#posted && this.#worker) this.#log.warn('invocation records are still being written', { done });
  }

  /** Writes what is buffered and ends the thread (the database is closing). */
  close(): void {
    this.flush();
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    worker.postMessage('close');
    // The thread's connection goes before the engine's, as a connection closed last cleans up the WAL.
    const deadline = Date.now() + FLUSH_WAIT_MS;
    while (Atomics.load(this.#slots, CLOSED) === 0 && Date.now() < deadline) {
      Atomics.wait(this.#slots, CLOSED, 0, deadline - Date.now());
    }
  }

  /** Hands the buffered rows to the thread (or writes them here without one). */
  #post(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#soon = false;
    if (this.#count === 0) return;
    const rows = this.#rows;
    this.#rows = [];
    this.#count = 0;
    if (!this.#db.open) return; // closed: nothing can be written any more
    const worker = this.#workerOrNone();
    if (!worker) {
      this.#writeHere(rows);
      return;
    }
    this.#posted += 1;
    const message: BatchMessage & { tables?: BatchedTable[] } = { seq: this.#posted, rows };
    if (this.#tablesSent !== this.#tables.length) {
      message.tables = this.#tables;
      this.#tablesSent = this.#tables.length;
    }
    worker.postMessage(message);
  }

  #writeHere(rows: BatchRows): void {
    this.#here ??= new RowWriter(this.#db, this.#tables);
    try {
      this.#here.write(rows);
    } catch (err) {
      this.#log.error('could not store invocation records and log lines', { err });
    }
  }

  #workerOrNone(): Worker | undefined {
    if (this.#worker || this.#workerFailed) return this.#worker;
    const file = distPath(WORKER_FILE);
    if (!existsSync(file) || this.#db.memory) {
      this.#workerFailed = true;
      return undefined;
    }
    const synchronous = this.#db.pragma('synchronous', { simple: true }) === 2 ? 'FULL' : 'NORMAL';
    const workerData: WriteBatchWork = {
      file: this.#db.name,
      tables: this.#tables,
      done: this.#slots.buffer as SharedArrayBuffer,
      synchronous,
    };
    const niceness = childNiceness();
    if (niceness !== undefined) workerData.niceness = niceness;
    this.#tablesSent = this.#tables.length;
    const worker = new Worker(file, { workerData });
    worker.unref();
    worker.on('message', (answer: { seq: number; error: string }) =>
      this.#log.error('could not store invocation records and log lines', { batch: answer.seq, error: answer.error }),
    );
    worker.on('error', (err) => {
      this.#log.error('the invocation records thread failed; records are written on the event loop', { err });
      this.#workerFailed = true;
      if (this.#worker === worker) this.#worker = undefined;
    });
    this.#worker = worker;
    const close = this.#db.close.bind(this.#db);
    this.#db.close = () => {
      this.close();
      return close();
    };
    return worker;
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
