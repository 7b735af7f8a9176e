/**
 * The bookkeeping writer thread (see bookkeeping.ts): commits each batch of invocation records, log
 * lines and billing rows it is handed, in order, one transaction per batch, on its own connection to
 * the bookkeeping database. After each batch it publishes the batch's number in the shared state, so
 * a reader on the engine's thread can wait until everything appended before it is visible.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { BillingSink } from './billing.js';
import type { ToWriter } from './bookkeeping.js';
import { KEEP_LINES, LogSink } from './logs.js';
import { RecordSink } from './records.js';
import type { BatchSink } from './write-batch.js';

interface WriterData {
  file: string;
  synchronous: string;
  options: Record<string, { keepLines?: number }>;
  state: SharedArrayBuffer;
}

const { file, synchronous, options, state } = workerData as WriterData;
const done = new Int32Array(state);
const db = new Database(file);
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${synchronous}`);
db.pragma('busy_timeout = 5000');

const sinks: Record<string, BatchSink> = {
  records: new RecordSink(db),
  logs: new LogSink(db, options.logs?.keepLines ?? KEEP_LINES),
  billing: new BillingSink(db),
};
const commit = db.transaction((batch: Record<string, unknown>) => {
  for (const [name, rows] of Object.entries(batch)) sinks[name]?.write(rows);
});

const port = parentPort;
if (!port) throw new Error('bookkeeping-worker runs as a worker thread');
const end = () => {
  Atomics.store(done, 1, 1);
  Atomics.notify(done, 1);
  Atomics.notify(done, 0);
};
process.on('exit', end);
port.on('message', (message: ToWriter) => {
  if ('close' in message) {
    db.close();
    end();
    port.close();
    return;
  }
  try {
    commit(message.batch);
  } catch (err) {
    port.postMessage({ error: err instanceof Error ? { name: err.name, message: err.message } : String(err) });
  }
  Atomics.store(done, 0, message.seq);
  Atomics.notify(done, 0);
});
