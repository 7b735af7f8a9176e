/**
 * The delivery queue's table, and the moves from the tables of earlier versions, run once on open.
 */
import type { Db } from '../state/db.js';
import { migrate, tableExists } from '../state/db.js';

/**
 * Rows are found by `seq` (the rowid). `id` has no index: a UNIQUE index on random request ids cost
 * every queued delivery a B-tree insert and delete at a random page (about 10 µs each, two thirds
 * of an enqueue), for lookups `seq` answers.
 */
const TABLE = `
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  target TEXT NOT NULL,
  qualifier TEXT,
  payload TEXT NOT NULL,
  trigger TEXT NOT NULL,
  client_context TEXT,
  dead_letter TEXT,
  enqueued_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  -- Unused: waits for capacity are kept in memory now. Kept so that older data dirs open unchanged.
  throttled INTEGER NOT NULL DEFAULT 0,
  -- NULL: payload is the event; else the name of the compact form it is stored in (see addPayloadForm).
  payload_form TEXT
);`;

const SCHEMA = `${TABLE}
CREATE INDEX IF NOT EXISTS deliveries_target_due ON deliveries (target, state, next_at, seq);
-- Due reads are per target; an index every queued delivery paid for on insert and delete, read by none.
DROP INDEX IF EXISTS deliveries_due;
DROP INDEX IF EXISTS deliveries_target;
DROP INDEX IF EXISTS deliveries_throttled;`;

/** Earlier versions' table, with its UNIQUE id index: rebuilt once without it, rows and seqs kept. */
const REBUILD_WITHOUT_UNIQUE_IDS = `
ALTER TABLE deliveries RENAME TO deliveries_unique_ids;
${TABLE}
INSERT INTO deliveries (seq, id, kind, target, qualifier, payload, trigger, client_context, dead_letter, enqueued_at, attempts, next_at, state, throttled)
  SELECT seq, id, kind, target, qualifier, payload, trigger, client_context, dead_letter, enqueued_at, attempts, next_at, state, throttled
  FROM deliveries_unique_ids;
DROP TABLE deliveries_unique_ids;`;

/** The async-invoke queue of earlier versions; its rows move into `deliveries` once. */
const LEGACY_ASYNC_EVENTS = `
INSERT INTO deliveries (id, kind, target, qualifier, payload, trigger, client_context, enqueued_at, attempts, next_at, throttled)
  SELECT id, 'invoke', function_name, qualifier, payload, trigger, client_context, enqueued_at, attempts, next_at, throttled
  FROM invoke_async_events ORDER BY enqueued_at;
DROP TABLE invoke_async_events;`;

/** Creates the table, or brings an earlier version's up to date, and moves rows out of the legacy async queue. */
export function migrateDeliveries(db: Db): void {
  if (hasUniqueIds(db)) db.transaction(() => db.exec(REBUILD_WITHOUT_UNIQUE_IDS))();
  migrate(db, SCHEMA);
  if (!hasColumn(db, 'payload_form')) db.exec('ALTER TABLE deliveries ADD COLUMN payload_form TEXT');
  if (tableExists(db, 'invoke_async_events')) db.transaction(() => db.exec(LEGACY_ASYNC_EVENTS))();
}

/** Whether the table is an earlier version's, with a UNIQUE index on `id`. */
function hasUniqueIds(db: Db): boolean {
  const sql = `SELECT 1 FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deliveries' AND name LIKE 'sqlite_autoindex_deliveries_%'`;
  return db.prepare(sql).get() !== undefined;
}

function hasColumn(db: Db, column: string): boolean {
  return (db.prepare('PRAGMA table_info(deliveries)').all() as Array<{ name: string }>).some((c) => c.name === column);
}
