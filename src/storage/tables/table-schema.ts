/** Tables of the table store: definitions, items keyed by encoded keys, and the change log. */
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
`;
