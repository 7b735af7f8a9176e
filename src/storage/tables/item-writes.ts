/**
 * The item write path: one conditional write (put, update or delete) and its change record, in
 * one transaction. Writes are serialized by SQLite, so ADD counters are exact.
 */
import type { Db } from '../../state/db.js';
import type { ChangeLog } from './change-log.js';
import { ConditionalCheckFailed, ValidationError } from './errors.js';
import { evaluateCondition } from './evaluate.js';
import { parseCondition } from './expression-parser.js';
import { returnValues } from './return-values.js';
import type { TableMeta } from './table-keys.js';
import type { AttributeMap, WriteOptions } from './types.js';
import { checkMap, itemSize } from './values.js';

/** What a write produces from the item it replaces: the new item, or undefined to delete it. */
export type ProduceItem = (old: AttributeMap | undefined) => AttributeMap | undefined;

const MAX_ITEM_BYTES = 400 * 1024;

/**
 * Runs one conditional write of the item at `[pk, sk]`; `changed` says whether a change record was
 * written (the caller publishes it after the commit). @throws ConditionalCheckFailed, ValidationError
 */
export function writeItem(
  db: Db,
  changes: ChangeLog,
  table: TableMeta,
  [pk, sk]: [string, string],
  options: WriteOptions,
  produce: ProduceItem,
  touched?: () => Set<string>,
): { result: { attributes?: AttributeMap }; changed: boolean } {
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
    if (table.viewType && (old || next)) {
      changes.record(table, old, next);
      changed = true;
    }
    result = returnValues(options.returnValues, old, next, touched?.());
  })();
  return { result, changed };
}
