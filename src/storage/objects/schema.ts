import type { Db } from '../../state/db.js';
import { migrate } from '../../state/db.js';
import type { ObjectInfo } from './types.js';

/**
 * A row of `s3_objects` (the current version of a key) or of `s3_versions` (its noncurrent versions and
 * delete markers); keys are stored as UTF-8 BLOBs so SQLite orders them in S3's byte order.
 */
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
  content_language: string | null;
  expires: string | null;
  /** JSON `[[key, value], …]` in the order given, or null for none. */
  tags: string | null;
  /** JSON array of part sizes for an object assembled by a multipart upload, else null. */
  parts: string | null;
  /** Null for the "null" version (written while the bucket was not versioning). */
  version_id: string | null;
  /** '' for a delete marker. */
  file: string;
}

/** A row of `s3_versions`: an ObjectRow with its age within the key and whether it is a delete marker. */
export interface VersionRow extends ObjectRow {
  seq: number;
  delete_marker: number;
}

/** The columns every version row carries, in one order (used to move rows between the two tables). */
export const OBJECT_COLUMNS =
  'bucket, object_key, size, etag, last_modified, content_type, metadata, content_encoding, content_disposition, ' +
  'cache_control, content_language, expires, tags, parts, version_id, file';

/** Columns added after the first release, with their types: added in place to existing data dirs. */
const ADDED_OBJECT_COLUMNS = {
  content_language: 'TEXT',
  expires: 'TEXT',
  tags: 'TEXT',
  parts: 'TEXT',
  version_id: 'TEXT',
} as const;

/** Creates the object store's tables, and brings those of an earlier version up to date (idempotent). */
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
  db.transaction(() => {
    addColumns(db, 's3_buckets', { versioning: 'TEXT' });
    addColumns(db, 's3_objects', ADDED_OBJECT_COLUMNS);
  })();
  migrate(
    db,
    `-- Noncurrent versions and delete markers; the current version of a key (when it is not a delete
     -- marker) stays in s3_objects. seq orders a key's versions, oldest first.
     CREATE TABLE IF NOT EXISTS s3_versions (
       bucket TEXT NOT NULL,
       object_key BLOB NOT NULL,
       seq INTEGER NOT NULL,
       delete_marker INTEGER NOT NULL,
       size INTEGER NOT NULL,
       etag TEXT NOT NULL,
       last_modified INTEGER NOT NULL,
       content_type TEXT NOT NULL,
       metadata TEXT,
       content_encoding TEXT,
       content_disposition TEXT,
       cache_control TEXT,
       content_language TEXT,
       expires TEXT,
       tags TEXT,
       parts TEXT,
       version_id TEXT,
       file TEXT NOT NULL,
       PRIMARY KEY (bucket, object_key, seq)
     ) WITHOUT ROWID;
     CREATE INDEX IF NOT EXISTS s3_versions_by_id ON s3_versions (bucket, object_key, version_id);
     -- Uploads completed, so that completing one again answers as the first completion did.
     CREATE TABLE IF NOT EXISTS s3_completed_uploads (
       upload_id TEXT PRIMARY KEY,
       bucket TEXT NOT NULL,
       object_key BLOB NOT NULL,
       etag TEXT NOT NULL,
       version_id TEXT,
       completed_at INTEGER NOT NULL
     );`,
  );
}

/** The public info of a stored row; `versioned` says whether the null version is reported as "null". */
export function toObjectInfo(row: ObjectRow, versioned = false): ObjectInfo {
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
  if (row.content_language !== null) info.contentLanguage = row.content_language;
  if (row.expires !== null) info.expires = row.expires;
  if (row.tags !== null) info.tagCount = (JSON.parse(row.tags) as unknown[]).length;
  if (row.parts !== null) info.partsCount = (JSON.parse(row.parts) as unknown[]).length;
  if (row.version_id !== null) info.versionId = row.version_id;
  else if (versioned) info.versionId = NULL_VERSION;
  return info;
}

/** The version id S3 reports for an object written while versioning was off or suspended. */
export const NULL_VERSION = 'null';

function addColumns(db: Db, table: string, columns: Readonly<Record<string, string>>): void {
  const present = new Set(
    (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((column) => column.name),
  );
  for (const [name, type] of Object.entries(columns)) {
    if (!present.has(name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
  }
}
