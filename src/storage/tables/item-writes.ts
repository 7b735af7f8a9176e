/**
 * The item write path: one conditional write (put, update or delete), its secondary index entries,
 * its TTL expiry time and its change record, in one transaction. Writes are serialized by SQLite,
 * so ADD counters are exact.
 */
import type { Db } from '../../state/db.js';
import type { ChangeLog } from './change-log.js';
import { ConditionalCheckFailed, ValidationError } from './errors.js';
import { evaluateCondition } from './evaluate.js';
import { parseCondition } from './expression-parser.js';
import { returnValues } from './return-values.js';
import { writeIndexEntries } from './secondary-indexes.js';
import type { TableMeta } from './table-keys.js';
import type { AttributeMap, WriteOptions } from './types.js';
import { checkMap, itemSize } from './values.js';

/** What a write produces from the item it replaces: the new item, or undefined to delete it. */
export type ProduceItem = (old: AttributeMap | undefined) => AttributeMap | undefined;

/** Who made a write: a caller, or DynamoDB itself (a TTL expiry, shown in stream records). */
export type WriteOrigin = 'caller' | 'service';

/**
 * One write to run: the item at `key` of `table`, its condition and what it becomes. A `check`
 * only evaluates the condition (a transaction's ConditionCheck).
 */
export interface WritePlan {
  table: TableMeta;
  key: [string, string];
  options: WriteOptions;
  produce: ProduceItem;
  check?: boolean;
  /** The top-level attributes an update touched (for UPDATED_* return values). */
  touched?: () => Set<string>;
}

const MAX_ITEM_BYTES = 400 * 1024;

/**
 * Runs one conditional write of the item at `[pk, sk]`; `changed` says whether a change record was
 * written (the caller publishes it after the commit). @throws ConditionalCheckFailed, ValidationError
 */
export function writeItem(
  db: Db,
  changes: ChangeLog,
  plan: WritePlan,
  origin: WriteOrigin = 'caller',
): { result: { attributes?: AttributeMap }; changed: boolean } {
  const { table, options, produce, touched } = plan;
  const [pk, sk] = plan.key;
  const values = checkMap(options.expressionAttributeValues ?? {}, 'ExpressionAttributeValues');
  const condition = options.conditionExpression
    ? parseCondition(options.conditionExpression, options.expressionAttributeNames, values)
    : undefined;
  let result: { attributes?: AttributeMap } = {};
  let changed = false;
  db.transaction(() => {
    const row = db
      .prepare('SELECT item FROM ddb_items WHERE table_id = ? AND pk = ? AND sk = ?')
      .get(table.id, pk, sk) as { item: string } | undefined;
    const old = row ? (JSON.parse(row.item) as AttributeMap) : undefined;
    if (condition && !evaluateCondition(condition, old ?? {})) throw new ConditionalCheckFailed(undefined, old);
    if (plan.check) return;
    const next = produce(old);
    if (next) {
      const size = itemSize(next);
      if (size > MAX_ITEM_BYTES) throw new ValidationError('Item size has exceeded the maximum allowed size');
      db.prepare('INSERT OR REPLACE INTO ddb_items (table_id, pk, sk, item, size) VALUES (?, ?, ?, ?, ?)').run(
        table.id,
        pk,
        sk,
        JSON.stringify(next),
        size,
      );
    } else if (old) {
      db.prepare('DELETE FROM ddb_items WHERE table_id = ? AND pk = ? AND sk = ?').run(table.id, pk, sk);
    }
    if (old || next) {
      writeIndexEntries(db, table.id, table.shape, table.indexes, [pk, sk], next);
      writeExpiry(db, table, [pk, sk], next);
    }
    if (table.viewType && (old || next)) {
      changes.record(table, old, next, origin);
      changed = true;
    }
    result = returnValues(options.returnValues, old, next, touched?.());
  })();
  return { result, changed };
}

/** Keeps the item's TTL expiry time (epoch seconds) for the sweep; runs inside the write's transaction. */
export function writeExpiry(
  db: Db,
  table: TableMeta,
  [pk, sk]: [string, string],
  next: AttributeMap | undefined,
): void {
  const attribute = table.definition.timeToLiveAttribute;
  if (!attribute) return;
  const value = next?.[attribute];
  const seconds = value && 'N' in value ? Number(value.N) : Number.NaN;
  if (Number.isFinite(seconds)) {
    db.prepare('INSERT OR REPLACE INTO ddb_expiry (table_id, pk, sk, expires_at) VALUES (?, ?, ?, ?)').run(
      table.id,
      pk,
      sk,
      seconds,
    );
  } else {
    db.prepare('DELETE FROM ddb_expiry WHERE table_id = ? AND pk = ? AND sk = ?').run(table.id, pk, sk);
  }
}
