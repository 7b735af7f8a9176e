import type { Db } from '../../state/db.js';

/**
 * Tables of the table store: definitions, items keyed by encoded keys, secondary index entries, TTL
 * expiry times, transaction tokens, and the change log.
 */
export const TABLE_SCHEMA = `
CREATE TABLE IF NOT EXISTS ddb_tables (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  definition TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  stream_view_type TEXT,
  stream_label TEXT
);
CREATE TABLE IF NOT EXISTS ddb_items (
  table_id INTEGER NOT NULL,
  pk TEXT NOT NULL,
  sk TEXT NOT NULL,
  item TEXT NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (table_id, pk, sk)
);
CREATE TABLE IF NOT EXISTS ddb_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  table_id INTEGER NOT NULL,
  event_name TEXT NOT NULL,
  keys TEXT NOT NULL,
  new_image TEXT,
  old_image TEXT,
  created_at INTEGER NOT NULL,
  size INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ddb_changes_by_table ON ddb_changes (table_id, seq);
CREATE TABLE IF NOT EXISTS ddb_index_items (
  table_id INTEGER NOT NULL,
  index_name TEXT NOT NULL,
  ipk TEXT NOT NULL,
  isk TEXT NOT NULL,
  pk TEXT NOT NULL,
  sk TEXT NOT NULL,
  item TEXT NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (table_id, index_name, ipk, isk, pk, sk)
);
CREATE INDEX IF NOT EXISTS ddb_index_items_by_item ON ddb_index_items (table_id, pk, sk);
CREATE TABLE IF NOT EXISTS ddb_expiry (
  table_id INTEGER NOT NULL,
  pk TEXT NOT NULL,
  sk TEXT NOT NULL,
  expires_at REAL NOT NULL,
  PRIMARY KEY (table_id, pk, sk)
);
CREATE INDEX IF NOT EXISTS ddb_expiry_by_time ON ddb_expiry (expires_at);
CREATE TABLE IF NOT EXISTS ddb_transaction_tokens (
  token TEXT PRIMARY KEY,
  request TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`;

/** Columns added after a table's first release: `[table, column, declaration]`. */
const ADDED_COLUMNS = [['ddb_changes', 'by_service', 'INTEGER NOT NULL DEFAULT 0']] as const;

/** Adds the columns a data dir of an earlier version lacks. */
export function addMissingColumns(db: Db): void {
  for (const [table, column, declaration] of ADDED_COLUMNS) {
    const columns = db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>;
    if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${declaration}`);
  }
}
