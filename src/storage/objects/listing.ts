import type { Db } from '../../state/db.js';
import { InvalidArgument } from './errors.js';
import { prefixUpperBound } from './names.js';
import type { ListOptions, ListResult, ObjectInfo } from './types.js';

const MAX_KEYS = 1000;

/**
 * A listed row in raw (array) mode: only the columns a listing returns, so SQLite reads them straight
 * from the covering primary key b-tree and no per-row column-name object is built.
 */
type ListedRow = [
  key: Buffer,
  size: number,
  etag: string,
  lastModified: number,
  contentType: string,
  metadata: string | null,
  contentEncoding: string | null,
  contentDisposition: string | null,
  cacheControl: string | null,
];
const KEY = 0;

type Entry = { kind: 'object'; row: ListedRow } | { kind: 'prefix'; name: Buffer };

/**
 * Lists a bucket page by page in UTF-8 byte order, as S3 does. Every read is an index range seek on
 * (bucket, key): a prefix bounds the scan, and with a delimiter each common prefix is skipped with a new
 * seek past it, so the cost follows the page size, not the number of keys. The page is read in one
 * SQLite read transaction, so concurrent writes never tear it.
 */
export class ObjectListing {
  #db: Db;
  #scan;

  constructor(db: Db) {
    this.#db = db;
    this.#scan = db
      .prepare<[string, Buffer, Buffer, number], ListedRow>(
        `SELECT object_key, size, etag, last_modified, content_type, metadata, content_encoding,
           content_disposition, cache_control
         FROM s3_objects WHERE bucket = ? AND object_key >= ? AND object_key < ?
         ORDER BY object_key LIMIT ?`,
      )
      .raw(true);
  }

  /** One page; throws InvalidArgument for max-keys out of range. */
  list(bucket: string, options: ListOptions = {}): ListResult {
    const maxKeys = options.maxKeys ?? MAX_KEYS;
    if (!Number.isInteger(maxKeys) || maxKeys < 0) throw new InvalidArgument('max-keys must be a non-negative integer');
    const limit = Math.min(maxKeys, MAX_KEYS);
    return this.#db.transaction(() => {
      const result: ListResult = { objects: [], commonPrefixes: [], isTruncated: false };
      let last: Buffer | undefined;
      for (const entry of this.#entries(bucket, options, limit + 1)) {
        if (result.objects.length + result.commonPrefixes.length === limit) {
          result.isTruncated = true;
          if (last) result.nextStartAfter = last.toString('utf8');
          break;
        }
        if (entry.kind === 'object') {
          result.objects.push(toListedInfo(bucket, entry.row));
          last = entry.row[KEY];
        } else {
          result.commonPrefixes.push(entry.name.toString('utf8'));
          last = entry.name;
        }
      }
      return result;
    })();
  }

  /** Entries in order: objects, and common prefixes rolled up at the first delimiter after the prefix. */
  *#entries(bucket: string, options: ListOptions, wanted: number): Generator<Entry> {
    const prefix = Buffer.from(options.prefix ?? '', 'utf8');
    const delimiter = options.delimiter ? Buffer.from(options.delimiter, 'utf8') : undefined;
    const startAfter = options.startAfter ? Buffer.from(options.startAfter, 'utf8') : undefined;
    // Upper bound: one past every key with the prefix; 0xFF… stands in for "no bound" (keys are ≤ 1024 bytes).
    const end = prefixUpperBound(prefix) ?? Buffer.alloc(1025, 0xff);
    let from: Buffer = prefix;
    if (startAfter && Buffer.compare(startAfter, prefix) >= 0) from = successor(startAfter);
    let yielded = 0;
    while (yielded < wanted && Buffer.compare(from, end) < 0) {
      const batch = Math.min(wanted - yielded, MAX_KEYS) + 1;
      // Lazily iterated: breaking out at a common prefix reads no further rows.
      let seekTo: Buffer | undefined;
      let count = 0;
      let last: ListedRow | undefined;
      // Without a delimiter every row of the batch is used: one all() is much cheaper than iterating.
      const rows = delimiter ? this.#scan.iterate(bucket, from, end, batch) : this.#scan.all(bucket, from, end, batch);
      for (const row of rows) {
        count++;
        last = row;
        const rolled = delimiter ? commonPrefix(row[KEY], prefix.length, delimiter) : undefined;
        if (rolled) {
          // A common prefix at or before start-after was already returned on an earlier page.
          if (!startAfter || Buffer.compare(rolled, startAfter) > 0) {
            yield { kind: 'prefix', name: rolled };
            yielded++;
          }
          seekTo = prefixUpperBound(rolled);
          if (!seekTo) return;
          break;
        }
        yield { kind: 'object', row };
        yielded++;
        if (yielded >= wanted) return;
      }
      if (!last || (!seekTo && count < batch)) return;
      from = seekTo ?? successor(last[KEY]);
    }
  }
}

/** The public info of a listed row (the same fields toObjectInfo gives, read from fewer columns). */
function toListedInfo(bucket: string, row: ListedRow): ObjectInfo {
  const [key, size, etag, lastModified, contentType, metadata, contentEncoding, contentDisposition, cacheControl] = row;
  const info: ObjectInfo = {
    bucket,
    key: key.toString('utf8'),
    size,
    etag: `"${etag}"`,
    lastModified: new Date(lastModified),
    contentType,
    metadata: metadata ? (JSON.parse(metadata) as Record<string, string>) : {},
  };
  if (contentEncoding !== null) info.contentEncoding = contentEncoding;
  if (contentDisposition !== null) info.contentDisposition = contentDisposition;
  if (cacheControl !== null) info.cacheControl = cacheControl;
  return info;
}

/** The key up to and including the first delimiter after the prefix, if there is one. */
function commonPrefix(key: Buffer, prefixLength: number, delimiter: Buffer): Buffer | undefined {
  const at = key.indexOf(delimiter, prefixLength);
  return at < 0 ? undefined : key.subarray(0, at + delimiter.length);
}

/** The smallest byte string strictly greater than `value`. */
function successor(value: Buffer): Buffer {
  return Buffer.concat([value, Buffer.from([0])]);
}
