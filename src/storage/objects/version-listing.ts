/**
 * ListObjectVersions over both version tables: keys in UTF-8 byte order, each key's versions newest
 * first (its current object, then noncurrent versions and delete markers by age), common prefixes
 * rolled up at the delimiter. Runs in the caller's read transaction.
 */
import type { Db } from '../../state/db.js';
import { InvalidArgument } from './errors.js';
import { prefixUpperBound } from './names.js';
import { NULL_VERSION } from './schema.js';
import type { ListVersionsOptions, ListVersionsResult, VersionEntry } from './types.js';
import { storedVersionId } from './versions.js';

const MAX_KEYS = 1000;
/** The seq a current object sorts by: newer than every noncurrent version of its key. */
const CURRENT_SEQ = Number.MAX_SAFE_INTEGER;
const BATCH = 256;

interface ListedVersion {
  object_key: Buffer;
  version_id: string | null;
  delete_marker: number;
  seq: number;
  size: number;
  etag: string;
  last_modified: number;
}

interface Cursor {
  /** Lower bound on keys (a prefix, or past a rolled-up common prefix). */
  from: Buffer;
  /** Rows strictly after (key, seq) in listing order: a later key, or an older version of this key. */
  key: Buffer;
  seq: number;
}

const statements = new WeakMap<Db, ReturnType<typeof prepare>>();

/** One page of versions. Throws InvalidArgument (max-keys, a version-id marker without a key marker). */
export function listVersions(db: Db, bucket: string, options: ListVersionsOptions): ListVersionsResult {
  const maxKeys = options.maxKeys ?? MAX_KEYS;
  if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new InvalidArgument('max-keys must be a non-negative integer');
  const limit = Math.min(maxKeys, MAX_KEYS);
  if (options.versionIdMarker && !options.keyMarker) {
    throw new InvalidArgument('A version-id marker cannot be specified without a key marker.');
  }
  let sql = statements.get(db);
  if (!sql) {
    sql = prepare(db);
    statements.set(db, sql);
  }
  const prefix = Buffer.from(options.prefix ?? '', 'utf8');
  const end = prefixUpperBound(prefix) ?? Buffer.alloc(1025, 0xff);
  const delimiter = options.delimiter ? Buffer.from(options.delimiter, 'utf8') : undefined;
  const keyMarker = options.keyMarker ? Buffer.from(options.keyMarker, 'utf8') : undefined;
  const cursor: Cursor = { from: prefix, key: keyMarker ?? Buffer.alloc(0), seq: 0 };
  let previousKey: Buffer | undefined;
  if (keyMarker && options.versionIdMarker) {
    cursor.seq = seqOf(sql, bucket, keyMarker, storedVersionId(options.versionIdMarker)) ?? 0;
    previousKey = keyMarker;
  }
  const result: ListVersionsResult = { versions: [], commonPrefixes: [], isTruncated: false };
  let last: { key: string; versionId?: string } | undefined;
  const full = () => result.versions.length + result.commonPrefixes.length >= limit;
  scan: while (Buffer.compare(cursor.from, end) < 0) {
    const rows = sql.page.all({ bucket, from: cursor.from, end, key: cursor.key, seq: cursor.seq, limit: BATCH });
    for (const row of rows) {
      cursor.key = row.object_key;
      cursor.seq = row.seq;
      const rolled = delimiter ? commonPrefix(row.object_key, prefix.length, delimiter) : undefined;
      if (rolled) {
        const seek = prefixUpperBound(rolled);
        // A common prefix at or before the key marker was returned on an earlier page.
        if (!keyMarker || Buffer.compare(rolled, keyMarker) > 0) {
          if (full()) {
            result.isTruncated = true;
            break scan;
          }
          result.commonPrefixes.push(rolled.toString('utf8'));
          last = { key: rolled.toString('utf8') };
        }
        if (!seek) break scan;
        cursor.from = seek;
        cursor.key = Buffer.alloc(0);
        cursor.seq = 0;
        continue scan;
      }
      if (full()) {
        result.isTruncated = true;
        break scan;
      }
      const entry = toEntry(row, !previousKey?.equals(row.object_key));
      previousKey = row.object_key;
      result.versions.push(entry);
      last = { key: entry.key, versionId: entry.versionId };
    }
    if (rows.length < BATCH) break;
  }
  if (result.isTruncated && last) {
    result.nextKeyMarker = last.key;
    if (last.versionId !== undefined) result.nextVersionIdMarker = last.versionId;
  }
  return result;
}

function prepare(db: Db) {
  const columns = 'object_key, version_id, delete_marker, seq, size, etag, last_modified';
  return {
    page: db.prepare<
      [{ bucket: string; from: Buffer; end: Buffer; key: Buffer; seq: number; limit: number }],
      ListedVersion
    >(
      `SELECT ${columns} FROM (
         SELECT object_key, version_id, 0 AS delete_marker, ${CURRENT_SEQ} AS seq, size, etag, last_modified
           FROM s3_objects WHERE bucket = @bucket AND object_key >= @from AND object_key >= @key AND object_key < @end
         UNION ALL
         SELECT ${columns}
           FROM s3_versions WHERE bucket = @bucket AND object_key >= @from AND object_key >= @key AND object_key < @end
       ) WHERE object_key > @key OR seq < @seq
       ORDER BY object_key, seq DESC LIMIT @limit`,
    ),
    current: db.prepare<[string, Buffer], { version_id: string | null }>(
      'SELECT version_id FROM s3_objects WHERE bucket = ? AND object_key = ?',
    ),
    version: db.prepare<[string, Buffer, string | null], { seq: number }>(
      'SELECT seq FROM s3_versions WHERE bucket = ? AND object_key = ? AND version_id IS ?',
    ),
  };
}

/** Where the version marker sits within its key, or undefined when that version no longer exists. */
function seqOf(sql: ReturnType<typeof prepare>, bucket: string, key: Buffer, versionId: string | null) {
  const current = sql.current.get(bucket, key);
  if (current && current.version_id === versionId) return CURRENT_SEQ;
  return sql.version.get(bucket, key, versionId)?.seq;
}

function toEntry(row: ListedVersion, isLatest: boolean): VersionEntry {
  const entry: VersionEntry = {
    key: row.object_key.toString('utf8'),
    versionId: row.version_id ?? NULL_VERSION,
    isLatest,
    deleteMarker: row.delete_marker === 1,
    lastModified: new Date(row.last_modified),
  };
  if (!entry.deleteMarker) {
    entry.etag = `"${row.etag}"`;
    entry.size = row.size;
  }
  return entry;
}

/** The key up to and including the first delimiter after the prefix, if there is one. */
function commonPrefix(key: Buffer, prefixLength: number, delimiter: Buffer): Buffer | undefined {
  const at = key.indexOf(delimiter, prefixLength);
  return at < 0 ? undefined : key.subarray(0, at + delimiter.length);
}
