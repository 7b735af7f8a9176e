import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/**
 * Opens the engine's SQLite database under the data dir in WAL mode. Each service creates its own
 * tables with `migrate` (idempotent `CREATE … IF NOT EXISTS`), so parts stay independent.
 * WAL with synchronous=NORMAL survives a `kill -9` of the engine (the OS keeps the log), which is
 * the durability promise lambdata makes; FULL is used when `durable: 'power'` is asked for.
 */
export function openDb(dataDir: string, options: { durable?: 'process' | 'power' } = {}): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'lambdata.db'));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.durable === 'power' ? 'FULL' : 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}

/** Runs idempotent schema statements for one service. */
export function migrate(db: Db, sql: string): void {
  db.exec(sql);
}
