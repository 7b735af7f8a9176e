import type { Db } from '../../state/db.js';
import { migrate } from '../../state/db.js';
import type { ObjectInfo } from './types.js';

/** A row of `s3_objects`; keys are stored as UTF-8 BLOBs so SQLite orders them in S3's byte order. */
export interface ObjectRow {
  bucket: string;
  object_key: Buffer;
  size: number;
  etag: string;
  last_modified: number;
  content_type: string;
  metadata: string | null;
  content_encoding: string | null;
  content_disposition: string | null;
  cache_control: string | null;
  file: string;
}

/** Creates the object store's tables (idempotent). */
export function migrateObjects(db: Db): void {
  migrate(
    db,
    `CREATE TABLE IF NOT EXISTS s3_buckets (
       name TEXT PRIMARY KEY,
       created_at INTEGER NOT NULL
     );
     CREATE TABLE IF NOT EXISTS s3_objects (
       bucket TEXT NOT NULL,
       object_key BLOB NOT NULL,
       size INTEGER NOT NULL,
       etag TEXT NOT NULL,
       last_modified INTEGER NOT NULL,
       content_type TEXT NOT NULL,
       metadata TEXT,
       content_encoding TEXT,
       content_disposition TEXT,
       cache_control TEXT,
       file TEXT NOT NULL,
       PRIMARY KEY (bucket, object_key)
     ) WITHOUT ROWID;
     CREATE TABLE IF NOT EXISTS s3_uploads (
       upload_id TEXT PRIMARY KEY,
       bucket TEXT NOT NULL,
       object_key BLOB NOT NULL,
       initiated INTEGER NOT NULL,
       options TEXT NOT NULL
     );
     CREATE INDEX IF NOT EXISTS s3_uploads_by_key ON s3_uploads (bucket, object_key, upload_id);
     CREATE TABLE IF NOT EXISTS s3_parts (
       upload_id TEXT NOT NULL,
       part_number INTEGER NOT NULL,
       size INTEGER NOT NULL,
       md5 TEXT NOT NULL,
       last_modified INTEGER NOT NULL,
       file TEXT NOT NULL,
       PRIMARY KEY (upload_id, part_number)
     ) WITHOUT ROWID;
     -- Body files that may exist without a metadata row: written but not yet committed, or replaced
     -- and not yet unlinked. start() removes them, so a crash never leaks a file.
     CREATE TABLE IF NOT EXISTS s3_orphan_files (file TEXT PRIMARY KEY) WITHOUT ROWID;
     CREATE TABLE IF NOT EXISTS s3_sequence (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
     INSERT OR IGNORE INTO s3_sequence (id, value) VALUES (1, 0);`,
  );
}

/** The public info of a stored row. */
export function toObjectInfo(row: ObjectRow): ObjectInfo {
  const info: ObjectInfo = {
    bucket: row.bucket,
    key: row.object_key.toString('utf8'),
    size: row.size,
    etag: `"${row.etag}"`,
    lastModified: new Date(row.last_modified),
    contentType: row.content_type,
    metadata: row.metadata ? (JSON.parse(row.metadata) as Record<string, string>) : {},
  };
  if (row.content_encoding !== null) info.contentEncoding = row.content_encoding;
  if (row.content_disposition !== null) info.contentDisposition = row.content_disposition;
  if (row.cache_control !== null) info.cacheControl = row.cache_control;
  return info;
}
