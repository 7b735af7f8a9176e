import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startWalCheckpointer } from './wal-checkpointer.js';

export type Db = Database.Database;

/** Options of `openDb`. */
export interface OpenDbOptions {
  /** 'process' (default): commits survive `kill -9`; 'power': they also survive power loss (synchronous=FULL). */
  durable?: 'process' | 'power';
  /**
   * Where WAL checkpoints run: 'background' (default) on a worker thread with its own connection,
   * so no commit pays for copying the WAL into the database file (the thread starts once the WAL
   * first reaches 3 MiB; until then, and with 'auto', SQLite checkpoints inside the commit that
   * crosses 1000 pages).
   */
  checkpoint?: 'background' | 'auto';
}

/** Largest WAL file kept on disk after the log restarts (bytes). */
const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;
/**
 * A WAL this large (three quarters of SQLite's 1000-page checkpoint, which rewinds the log before it
 * reaches 4 MiB) belongs to a database written enough to want the checkpointer thread.
 */
const CHECKPOINTER_AT_WAL_BYTES = 3 * 1024 * 1024;

/**
 * Opens the engine's SQLite database under the data dir in WAL mode. Each service creates its own
 * tables with `migrate` (idempotent `CREATE … IF NOT EXISTS`), so parts stay independent.
 * WAL with synchronous=NORMAL survives a `kill -9` of the engine (the OS keeps the log), which is
 * the durability promise lambdata makes; FULL is used when `durable: 'power'` is asked for.
 * `close()` stops the background checkpointer before closing the connection.
 */
export function openDb(dataDir: string, options: OpenDbOptions = {}): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'lambdata.db'));
  const synchronous = options.durable === 'power' ? 'FULL' : 'NORMAL';
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
  if (options.checkpoint !== 'auto') {
    const checkpointer = startWalCheckpointer(db, { synchronous, startAtWalBytes: CHECKPOINTER_AT_WAL_BYTES });
    const close = db.close.bind(db);
    db.close = () => {
      checkpointer.stop();
      return close();
    };
  }
  return db;
}

/** Runs idempotent schema statements for one service. */
export function migrate(db: Db, sql: string): void {
  db.exec(sql);
}

/** Whether a table exists (for moving rows out of the tables of earlier versions). */
export function tableExists(db: Db, name: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(name) !== undefined;
}
