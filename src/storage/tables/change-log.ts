/**
 * The change stream of tables (DynamoDB Streams): one ordered log per table, written in the same
 * transaction as each item write, with images as the table's StreamViewType says, kept 24 hours.
 */
import type { Db } from '../../state/db.js';
import { ValidationError } from './errors.js';
import { keyAttributes, type TableMeta } from './table-keys.js';
import type { AttributeMap, StreamViewType, TableChange } from './types.js';
import { itemSize } from './values.js';

/** Change records are kept 24 hours, as DynamoDB Streams keeps them. */
const CHANGE_RETENTION_MS = 24 * 3_600_000;
/** Expired changes are deleted once every this many changes (cheap, and needs no timer). */
const TRIM_EVERY = 1000;

/** The identity AWS gives changes DynamoDB makes itself (TTL deletions). */
const SERVICE_IDENTITY = { type: 'Service', principalId: 'dynamodb.amazonaws.com' } as const;

/** Records and reads the changes of every table of one store. */
export class ChangeLog {
  #db: Db;
  #now: () => number;
  #changesSinceTrim = 0;

  constructor(db: Db, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Records one change of a table with a stream; runs inside the write's transaction. */
  record(
    table: TableMeta,
    old: AttributeMap | undefined,
    next: AttributeMap | undefined,
    origin: 'caller' | 'service' = 'caller',
  ): void {
    const view = table.viewType as StreamViewType;
    const keys = keyAttributes(table, (next ?? old) as AttributeMap);
    const newImage = next && (view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES') ? JSON.stringify(next) : null;
    const oldImage = old && (view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES') ? JSON.stringify(old) : null;
    const eventName = !old ? 'INSERT' : next ? 'MODIFY' : 'REMOVE';
    const size = itemSize(keys) + (next && newImage ? itemSize(next) : 0) + (old && oldImage ? itemSize(old) : 0);
    this.#db
      .prepare(
        'INSERT INTO ddb_changes (table_id, event_name, keys, new_image, old_image, created_at, size, by_service) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        table.id,
        eventName,
        JSON.stringify(keys),
        newImage,
        oldImage,
        this.#now(),
        size,
        origin === 'service' ? 1 : 0,
      );
    if (++this.#changesSinceTrim >= TRIM_EVERY) {
      this.#changesSinceTrim = 0;
      this.#db.prepare('DELETE FROM ddb_changes WHERE created_at < ?').run(this.#now() - CHANGE_RETENTION_MS);
    }
  }

  /** Changes of a table after `afterSequence` (exclusive; undefined = oldest), in order. @throws ValidationError */
  read(table: TableMeta, afterSequence: string | undefined, limit: number): TableChange[] {
    const tableName = table.definition.tableName;
    const after = afterSequence === undefined ? 0 : Number(afterSequence);
    if (!Number.isSafeInteger(after)) throw new ValidationError(`Invalid sequence number: ${afterSequence}`);
    const rows = this.#db
      .prepare('SELECT * FROM ddb_changes WHERE table_id = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(table.id, after, Math.max(1, Math.floor(limit))) as Array<Record<string, unknown>>;
    return rows.map((row) => ({
      tableName,
      sequenceNumber: formatChangeSequence(row.seq as number),
      eventName: row.event_name as TableChange['eventName'],
      keys: JSON.parse(row.keys as string) as AttributeMap,
      ...(row.new_image ? { newImage: JSON.parse(row.new_image as string) as AttributeMap } : {}),
      ...(row.old_image ? { oldImage: JSON.parse(row.old_image as string) as AttributeMap } : {}),
      approximateCreationDateTime: row.created_at as number,
      sizeBytes: row.size as number,
      ...(row.by_service ? { userIdentity: SERVICE_IDENTITY } : {}),
    }));
  }

  /** The sequence number of a table's newest change, or undefined when it has none. */
  last(table: TableMeta): string | undefined {
    const seq = this.#db.prepare('SELECT MAX(seq) FROM ddb_changes WHERE table_id = ?').pluck().get(table.id);
    return typeof seq === 'number' ? formatChangeSequence(seq) : undefined;
  }
}

/** Change sequence numbers: fixed-length decimal, so string order is numeric order. */
export function formatChangeSequence(seq: number): string {
  return String(seq).padStart(21, '0');
}
