import { type Db, migrate } from '../state/index.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS la_datasets (
  name TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  sealed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS la_shards (
  dataset TEXT NOT NULL,
  shard_id TEXT NOT NULL,
  archived_seq TEXT NOT NULL,
  archived_time INTEGER NOT NULL,
  events INTEGER NOT NULL,
  rejected INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (dataset, shard_id)
);
CREATE TABLE IF NOT EXISTS la_pending (
  dataset TEXT NOT NULL,
  shard_id TEXT NOT NULL,
  last_seq TEXT NOT NULL,
  PRIMARY KEY (dataset, shard_id)
);
CREATE TABLE IF NOT EXISTS la_speed_applied (
  dataset TEXT NOT NULL,
  shard_id TEXT NOT NULL,
  view TEXT NOT NULL,
  PRIMARY KEY (dataset, shard_id, view)
);
CREATE TABLE IF NOT EXISTS la_pending_objects (
  dataset TEXT NOT NULL,
  shard_id TEXT NOT NULL,
  object_key TEXT NOT NULL,
  body BLOB NOT NULL,
  events INTEGER NOT NULL,
  min_time INTEGER NOT NULL,
  max_time INTEGER NOT NULL,
  hour INTEGER NOT NULL,
  PRIMARY KEY (dataset, shard_id, object_key)
);
CREATE TABLE IF NOT EXISTS la_pending_refused (
  dataset TEXT NOT NULL,
  shard_id TEXT NOT NULL,
  position INTEGER NOT NULL,
  sequence TEXT NOT NULL,
  partition_key TEXT NOT NULL,
  arrived INTEGER NOT NULL,
  data BLOB NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (dataset, shard_id, position)
);
CREATE TABLE IF NOT EXISTS la_objects (
  dataset TEXT NOT NULL,
  object_key TEXT NOT NULL,
  shard_id TEXT NOT NULL,
  events INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  min_time INTEGER NOT NULL,
  max_time INTEGER NOT NULL,
  hour INTEGER NOT NULL,
  PRIMARY KEY (dataset, object_key)
);
CREATE TABLE IF NOT EXISTS la_views (
  name TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS la_view_errors (
  view TEXT PRIMARY KEY,
  count INTEGER NOT NULL,
  last TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS la_batch_versions (
  view TEXT NOT NULL,
  version INTEGER NOT NULL,
  horizon INTEGER NOT NULL,
  computed_at INTEGER NOT NULL,
  events INTEGER NOT NULL,
  job_id TEXT,
  PRIMARY KEY (view, version)
);
CREATE TABLE IF NOT EXISTS la_batch_current (
  view TEXT PRIMARY KEY,
  version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS la_batch_rows (
  view TEXT NOT NULL,
  version INTEGER NOT NULL,
  key TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (view, version, key, bucket)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS la_speed (
  view TEXT NOT NULL,
  key TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  state TEXT NOT NULL,
  PRIMARY KEY (view, key, bucket)
) WITHOUT ROWID;
`;

/**
 * Creates the Lambda Architecture's tables (datasets, archive positions, pending units and their
 * journal, views, batch and speed rows).
 */
export function migrateLambdaArch(db: Db): void {
  migrate(db, SCHEMA);
}
