/**
 * The write batch's thread (write-batch.ts): its own connection to the engine's database writes the
 * invoke layer's bookkeeping rows, one transaction per batch, off the server's event loop. After each
 * batch, written or failed, it stores the batch's number in the shared slot and wakes anyone waiting
 * there; a failed batch is also reported as `{ seq, error }`. `'close'` closes its connection.
 */
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { type BatchedTable, type BatchRows, RowWriter } from './batch-rows.js';

/** What the thread is started with. */
export interface WriteBatchWork {
  file: string;
  tables: BatchedTable[];
  /** Two Int32 slots: the number of the last batch done, and 1 once this thread closed its connection. */
  done: SharedArrayBuffer;
  synchronous: string;
  /** The niceness the server started with (undefined when it was never raised): this thread returns to it. */
  niceness?: number;
}

/** One batch to write. */
export interface BatchMessage {
  seq: number;
  rows: BatchRows;
  /** Every table so far, when tables were added since the thread started. */
  tables?: BatchedTable[];
}

const work = workerData as WriteBatchWork;
// Linux niceness is per thread and this one inherited the raised event loop's: bookkeeping goes behind it.
if (work.niceness !== undefined) setPriority(work.niceness);
const done = new Int32Array(work.done);
const Sqlite = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
const db = new Sqlite(work.file);
db.pragma('busy_timeout = 5000');
db.pragma(`synchronous = ${work.synchronous}`);
let writer = new RowWriter(db, work.tables);

parentPort?.on('message', (message: BatchMessage | 'close') => {
  if (message === 'close') {
    try {
      db.close();
    } finally {
      Atomics.store(done, 1, 1);
      Atomics.notify(done, 1);
      parentPort?.close();
    }
    return;
  }
  if (message.tables) writer = new RowWriter(db, message.tables);
  try {
    writer.write(message.rows);
  } catch (err) {
    parentPort?.postMessage({ seq: message.seq, error: err instanceof Error ? err.message : String(err) });
  } finally {
    Atomics.store(done, 0, message.seq);
    Atomics.notify(done, 0);
  }
});
