/**
 * The invoke layer's bookkeeping database: invocation records, log lines and the billing ledger live in
 * their own SQLite file beside the engine's, written by a thread of their own. The event loop hands
 * each batch to that thread and goes on; it never waits for their commits, which took 0.5–5 ms every
 * 50 ms under load (and the write lock of the engine's own database is never held for them). The
 * engine's connection attaches the file, so reads (logs, records, cost reports) see it as before.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { EngineContext } from '../shared/context.js';
import { createLogger } from '../shared/log.js';
import { distPath } from '../shared/paths.js';
import { type Db, tableExists } from '../state/db.js';
import { migrateLedger, pruneLedgerStep } from './billing-ledger.js';
import { migrateLogs } from './logs.js';
import { migrateRecords } from './records.js';
import { type BatchedWriter, type BatchRows, type BatchTarget, localTarget, writeBatchOf } from './write-batch.js';

/** The bookkeeping database's file in the data dir. */
export const BOOKKEEPING_FILE = 'invocations.db';
/** The schema name the engine's connection attaches it as. */
const SCHEMA = 'bookkeeping';
/** The tables that live there, in the order they are moved out of an engine database of an earlier version. */
const TABLES = [
  'invoke_records',
  'invoke_log_lines',
  'invoke_billing',
  'invoke_billing_sync',
  'invoke_billing_pruned',
  // Last: rows moved into invoke_billing above were added to it by its trigger; it is refilled as it was.
  'invoke_billing_hours',
];
/** How long `flush` and `close` wait for the writer thread before going on without it. */
const SETTLE_MS = 10_000;
const log = createLogger('invoke');

/** Options of `openBookkeeping`. */
export interface BookkeepingOptions {
  synchronous: 'NORMAL' | 'FULL';
  /** 'thread' (default): batches commit on a writer thread; 'inline': on the engine's connection. */
  writer?: 'thread' | 'inline';
}

/**
 * Opens (creating or bringing up to date) the bookkeeping database of `context`'s data dir, moves the
 * tables an earlier version kept in the engine's database into it, attaches it to the engine's
 * connection, and makes the invoke layer's write batch commit there. Call before the stores are made.
 */
export function openBookkeeping(context: Pick<EngineContext, 'db' | 'dataDir' | 'log'>, options: BookkeepingOptions) {
  const file = join(context.dataDir, BOOKKEEPING_FILE);
  const own = openConnection(file, options.synchronous);
  try {
    migrateRecords(own);
    migrateLogs(own);
    migrateLedger(own);
    moveEarlierTables(context.db, own);
    pruneLedgerStep(own, Date.now());
  } finally {
    own.close();
  }
  context.db.prepare(`ATTACH DATABASE ? AS ${SCHEMA}`).run(file);
  const batch = writeBatchOf(context);
  batch.attached = true;
  if (options.writer !== 'inline') {
    batch.useTarget((writers) => writerThread(context.db, file, options.synchronous, writers));
  }
  // The batch's last rows are written (and its thread stopped) before the engine's connection closes.
  const close = context.db.close.bind(context.db);
  context.db.close = () => {
    batch.close();
    return close();
  };
}

function openConnection(file: string, synchronous: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  return db;
}

/**
 * Moves the bookkeeping tables of an engine database written by an earlier version into `own`. The
 * copy commits before the old tables are dropped; a crash between the two copies them again at the
 * next start (each table in `own` is emptied first), so nothing is lost or counted twice.
 */
function moveEarlierTables(engineDb: Db, own: Db): void {
  const earlier = TABLES.filter((table) => tableExists(engineDb, table));
  if (earlier.length === 0) return;
  // Bring them to this version's columns (and hourly totals) first, where they are.
  migrateRecords(engineDb);
  migrateLogs(engineDb);
  migrateLedger(engineDb);
  log.info('moving invocation records, logs and billing into their own database', { file: own.name });
  own.prepare('ATTACH DATABASE ? AS earlier').run(engineDb.name);
  try {
    own.transaction(() => {
      for (const table of TABLES) own.exec(`DELETE FROM main.${table}`);
      for (const table of TABLES) {
        if (table === 'invoke_billing_hours') own.exec(`DELETE FROM main.${table}`);
        const columns = (own.prepare(`PRAGMA main.table_info(${table})`).all() as Array<{ name: string }>)
          .map((column) => column.name)
          .join(', ');
        own.exec(`INSERT INTO main.${table} (${columns}) SELECT ${columns} FROM earlier.${table}`);
      }
    })();
  } finally {
    own.exec('DETACH DATABASE earlier');
  }
  engineDb.transaction(() => {
    for (const table of [...TABLES].reverse()) engineDb.exec(`DROP TABLE IF EXISTS main.${table}`);
  })();
}

/** Messages from the engine to the writer thread. */
export type ToWriter = { batch: BatchRows; seq: number } | { close: true };

/**
 * The target that hands batches to a writer thread with its own connection to `file`. `settle` waits
 * (blocking, up to SETTLE_MS) until the thread has committed every batch handed to it. If the thread
 * fails, later batches are written on the engine's connection, which has the file attached.
 */
function writerThread(
  engineDb: Db,
  file: string,
  synchronous: string,
  writers: ReadonlyMap<string, BatchedWriter>,
): BatchTarget {
  // Slot 0: the last batch committed (or dropped after a failed write); slot 1: 1 once the thread ended.
  const state = new Int32Array(new SharedArrayBuffer(8));
  const options = Object.fromEntries([...writers].map(([name, writer]) => [name, writer.sinkOptions ?? {}]));
  const worker = new Worker(distPath('invoke/bookkeeping-worker.js'), {
    workerData: { file, synchronous, options, state: state.buffer },
  });
  worker.unref();
  let seq = 0;
  let failed: BatchTarget | undefined;
  worker.on('message', (message: { error?: unknown }) => {
    if (message.error) log.error('could not store invocation records and log lines', { err: message.error });
  });
  worker.on('error', (err) => {
    log.error('the bookkeeping writer thread failed; batches are written on the event loop', { err });
    failed ??= localTarget(engineDb, writers, log);
  });
  const waitFor = (slot: number, value: number) => {
    const deadline = Date.now() + SETTLE_MS;
    while (Atomics.load(state, slot) < value && Atomics.load(state, 1) === 0 && !failed) {
      const left = deadline - Date.now();
      if (left <= 0) {
        log.warn('the bookkeeping writer thread is behind; reading without its last batches', { seq });
        return;
      }
      Atomics.wait(state, slot, Atomics.load(state, slot), Math.min(left, 100));
    }
  };
  return {
    write(batch) {
      if (failed) return failed.write(batch);
      seq += 1;
      worker.postMessage({ batch, seq } satisfies ToWriter);
    },
    settle() {
      if (!failed) waitFor(0, seq);
    },
    close() {
      if (failed) return;
      waitFor(0, seq);
      worker.postMessage({ close: true } satisfies ToWriter);
      waitFor(1, 1);
    },
  };
}
