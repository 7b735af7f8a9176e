/**
 * Reads of items: one item by key, and query (one partition in sort key order) and scan (every
 * item in key order) as pages: `limit` counts items evaluated before the filter, as DynamoDB does,
 * and a page stops at 1 MB.
 */
import type { Db } from '../../state/db.js';
import { ValidationError } from './errors.js';
import { evaluateCondition, project } from './evaluate.js';
import { type Path, parseCondition, parseProjection } from './expression-parser.js';
import { planKeyCondition } from './key-condition.js';
import { keyAttributes, keyOf, type TableMeta } from './table-keys.js';
import type { AttributeMap, ExpressionInput, ReadOptions, ReadPage } from './types.js';
import { checkMap } from './values.js';

interface ItemRow {
  pk: string;
  sk: string;
  item: string;
}

const MAX_PAGE_BYTES = 1024 * 1024;

/** The item with that key, or undefined. @throws ValidationError */
export function readItem(
  db: Db,
  table: TableMeta,
  key: AttributeMap,
  options: ExpressionInput & { projectionExpression?: string },
): AttributeMap | undefined {
  const [pk, sk] = keyOf(table, checkMap(key, 'key'), false);
  const row = db.prepare('SELECT item FROM ddb_items WHERE table_id = ? AND pk = ? AND sk = ?').get(table.id, pk, sk) as
    | { item: string }
    | undefined;
  if (!row) return undefined;
  const item = JSON.parse(row.item) as AttributeMap;
  const paths = projection(options);
  return paths ? project(item, paths) : item;
}

/** One page of a query (reverse with scanIndexForward false). @throws ValidationError */
export function queryPage(db: Db, table: TableMeta, options: ReadOptions): ReadPage {
  if (!options.keyConditionExpression) throw new ValidationError('KeyConditionExpression is required');
  const values = checkMap(options.expressionAttributeValues ?? {}, 'ExpressionAttributeValues');
  const condition = parseCondition(options.keyConditionExpression, options.expressionAttributeNames, values);
  const range = planKeyCondition(condition, table.shape);
  const forward = options.scanIndexForward !== false;
  const params: unknown[] = [table.id, range.partition, ...range.sortParams];
  let sql = `SELECT pk, sk, item FROM ddb_items WHERE table_id = ? AND pk = ?${range.sortSql ? ` AND ${range.sortSql}` : ''}`;
  if (options.exclusiveStartKey) {
    const [, sk] = keyOf(table, checkMap(options.exclusiveStartKey, 'ExclusiveStartKey'), false);
    sql += forward ? ' AND sk > ?' : ' AND sk < ?';
    params.push(sk);
  }
  sql += ` ORDER BY sk ${forward ? 'ASC' : 'DESC'}`;
  return page(db, table, sql, params, options, values);
}

/** One page of a scan. @throws ValidationError */
export function scanPage(db: Db, table: TableMeta, options: ReadOptions): ReadPage {
  const values = checkMap(options.expressionAttributeValues ?? {}, 'ExpressionAttributeValues');
  const params: unknown[] = [table.id];
  let sql = 'SELECT pk, sk, item FROM ddb_items WHERE table_id = ?';
  if (options.exclusiveStartKey) {
    const [pk, sk] = keyOf(table, checkMap(options.exclusiveStartKey, 'ExclusiveStartKey'), false);
    sql += ' AND (pk, sk) > (?, ?)';
    params.push(pk, sk);
  }
  sql += ' ORDER BY pk, sk';
  return page(db, table, sql, params, options, values);
}

function page(
  db: Db,
  table: TableMeta,
  sql: string,
  params: unknown[],
  options: ReadOptions,
  values: AttributeMap,
): ReadPage {
  const limit = options.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
    throw new ValidationError('Limit must be at least 1');
  const filter = options.filterExpression
    ? parseCondition(options.filterExpression, options.expressionAttributeNames, values)
    : undefined;
  const paths = projection(options);
  const items: AttributeMap[] = [];
  let scanned = 0;
  let bytes = 0;
  let last: AttributeMap | undefined;
  let more = false;
  for (const row of db.prepare(sql).iterate(...params) as Iterable<ItemRow>) {
    if ((limit !== undefined && scanned >= limit) || bytes >= MAX_PAGE_BYTES) {
      more = true;
      break;
    }
    const item = JSON.parse(row.item) as AttributeMap;
    scanned++;
    bytes += row.item.length;
    last = item;
    if (filter && !evaluateCondition(filter, item)) continue;
    items.push(paths ? project(item, paths) : item);
  }
  const result: ReadPage = {
    items: options.select === 'COUNT' ? [] : items,
    count: items.length,
    scannedCount: scanned,
  };
  if (more && last) result.lastEvaluatedKey = keyAttributes(table, last);
  return result;
}

function projection(options: ExpressionInput & { projectionExpression?: string }): Path[] | undefined {
  return options.projectionExpression
    ? parseProjection(options.projectionExpression, options.expressionAttributeNames)
    : undefined;
}
