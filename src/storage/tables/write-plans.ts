/** Plans of item writes (put, update, delete, condition check), checked before any of them runs. */
import { ValidationError } from './errors.js';
import { applyUpdate } from './evaluate.js';
import { parseUpdate } from './expression-parser.js';
import type { WritePlan } from './item-writes.js';
import { keyOf, type TableMeta } from './table-keys.js';
import type { AttributeMap, WriteOptions } from './types.js';
import { checkMap } from './values.js';

/** Options of an update: a conditional write with an UpdateExpression. */
export type UpdateOptions = WriteOptions & { updateExpression?: string };

/** A put of a whole item, replacing any with the same key. @throws ValidationError */
export function planPut(table: TableMeta, item: AttributeMap, options: WriteOptions): WritePlan {
  const checked = checkMap(item);
  return { table, key: keyOf(table, checked, true), options, produce: () => checked };
}

/** An update (or creation) of the item with that key by an UpdateExpression. @throws ValidationError */
export function planUpdate(table: TableMeta, key: AttributeMap, options: UpdateOptions): WritePlan {
  const checkedKey = checkMap(key, 'key');
  const encoded = keyOf(table, checkedKey, false);
  const names = options.expressionAttributeNames ?? {};
  const values = checkMap(options.expressionAttributeValues ?? {}, 'ExpressionAttributeValues');
  const actions = options.updateExpression ? parseUpdate(options.updateExpression, names, values) : undefined;
  const keyNames = [table.shape.partition.name, table.shape.sort?.name].filter(Boolean) as string[];
  let touched = new Set<string>();
  return {
    table,
    key: encoded,
    options,
    produce: (old) => {
      const base = old ?? structuredClone(checkedKey);
      if (!actions) return base;
      const result = applyUpdate(base, actions);
      touched = result.touched;
      for (const keyName of keyNames) {
        if (touched.has(keyName))
          throw new ValidationError(
            `One or more parameter values were invalid: Cannot update attribute ${keyName}. This attribute is part of the key`,
          );
      }
      return result.item;
    },
    touched: () => touched,
  };
}

/** A delete of the item with that key (no error when absent). @throws ValidationError */
export function planDelete(table: TableMeta, key: AttributeMap, options: WriteOptions): WritePlan {
  return { table, key: keyOf(table, checkMap(key, 'key'), false), options, produce: () => undefined };
}

/** A condition check of the item with that key (a transaction's ConditionCheck). @throws ValidationError */
export function planCheck(table: TableMeta, key: AttributeMap, options: WriteOptions): WritePlan {
  if (!options.conditionExpression) throw new ValidationError('ConditionExpression is required for a ConditionCheck');
  return { table, key: keyOf(table, checkMap(key, 'key'), false), options, produce: (old) => old, check: true };
}
