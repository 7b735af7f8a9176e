/**
 * Reads of items: one item by key, and query (one partition in sort key order) and scan (every
 * item in key order) of the table or of a secondary index, as pages: `limit` counts items evaluated before the filter, as DynamoDB does,
 * and a page stops at 1 MB.
 */
import type { Db } from '../../state/db.js';
import { ValidationError } from './errors.js';
import { evaluateCondition, project } from './evaluate.js';
import { type Path, parseCondition, parseProjection } from './expression-parser.js';
import { type KeyShape, planKeyCondition } from './key-condition.js';
import { indexKeyNames } from './secondary-indexes.js';
import { keyAttributes, keyOf, type TableMeta } from './table-keys.js';
import type { AttributeMap, ExpressionInput, ReadOptions, ReadPage } from './types.js';
import { checkMap } from './values.js';

/** What a read walks: which rows, keyed and ordered by which columns. */
interface ReadSource {
  /** The keys a KeyConditionExpression names. */
  shape: KeyShape;
  from: 'ddb_items' | 'ddb_index_items';
  where: string;
  params: unknown[];
  partitionColumn: 'pk' | 'ipk';
  sortColumn: 'sk' | 'isk';
  /** Columns that order rows with equal index keys (the table's key). */
  tieColumns: string[];
  itemSql: string;
  /** The encoded columns of an ExclusiveStartKey, in scan order. */
  startKey(key: AttributeMap): string[];
  lastKey(item: AttributeMap): AttributeMap;
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

/** One page of a query (reverse with scanIndexForward false), of the table or of an index. @throws ValidationError */
export function queryPage(db: Db, table: TableMeta, options: ReadOptions): ReadPage {
  if (!options.keyConditionExpression) throw new ValidationError('KeyConditionExpression is required');
  const source = sourceOf(table, options);
  const values = checkMap(options.expressionAttributeValues ?? {}, 'ExpressionAttributeValues');
  const condition = parseCondition(options.keyConditionExpression, options.expressionAttributeNames, values);
  const range = planKeyCondition(condition, source.shape, source.sortColumn);
  const forward = options.scanIndexForward !== false;
  const params: unknown[] = [...source.params, range.partition, ...range.sortParams];
  let sql = `SELECT ${source.itemSql} AS item FROM ${source.from} AS x WHERE ${source.where} AND ${source.partitionColumn} = ?${range.sortSql ? ` AND ${range.sortSql}` : ''}`;
  const order = [source.sortColumn, ...source.tieColumns];
  if (options.exclusiveStartKey) {
    const [, ...after] = source.startKey(checkMap(options.exclusiveStartKey, 'ExclusiveStartKey'));
    sql += ` AND (${order.join(', ')}) ${forward ? '>' : '<'} (${order.map(() => '?').join(', ')})`;
    params.push(...after);
  }
  sql += ` ORDER BY ${order.map((c) => `${c} ${forward ? 'ASC' : 'DESC'}`).join(', ')}`;
  return page(db, source, sql, params, options, values);
}

/** One page of a scan of the table or of an index. @throws ValidationError */
export function scanPage(db: Db, table: TableMeta, options: ReadOptions): ReadPage {
  const source = sourceOf(table, options);
  const values = checkMap(options.expressionAttributeValues ?? {}, 'ExpressionAttributeValues');
  const params: unknown[] = [...source.params];
  const order = [source.partitionColumn, source.sortColumn, ...source.tieColumns];
  let sql = `SELECT ${source.itemSql} AS item FROM ${source.from} AS x WHERE ${source.where}`;
  if (options.exclusiveStartKey) {
    sql += ` AND (${order.join(', ')}) > (${order.map(() => '?').join(', ')})`;
    params.push(...source.startKey(checkMap(options.exclusiveStartKey, 'ExclusiveStartKey')));
  }
  sql += ` ORDER BY ${order.join(', ')}`;
  return page(db, source, sql, params, options, values);
}

/** The rows a read walks: the table's items, or one index's entries. @throws ValidationError */
function sourceOf(table: TableMeta, options: ReadOptions): ReadSource {
  const name = options.indexName;
  if (name === undefined) {
    if (options.select === 'ALL_PROJECTED_ATTRIBUTES') {
      throw new ValidationError(
        'One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is only supported when querying or scanning an index',
      );
    }
    return {
      shape: table.shape,
      from: 'ddb_items',
      where: 'table_id = ?',
      params: [table.id],
      partitionColumn: 'pk',
      sortColumn: 'sk',
      tieColumns: [],
      itemSql: 'item',
      startKey: (key) => keyOf(table, key, false),
      lastKey: (item) => keyAttributes(table, item),
    };
  }
  const index = table.indexes.find((i) => i.definition.indexName === name);
  if (!index) throw new ValidationError(`The table does not have the specified index: ${name}`);
  const projectsAll = index.definition.projection.projectionType === 'ALL';
  if (index.kind === 'GLOBAL' && options.consistentRead) {
    throw new ValidationError('Consistent reads are not supported on global secondary indexes');
  }
  if (index.kind === 'GLOBAL' && options.select === 'ALL_ATTRIBUTES' && !projectsAll) {
    throw new ValidationError(
      `One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index ${name} because its projection type is not ALL`,
    );
  }
  // A local index reads attributes it does not project from the table, as DynamoDB does.
  const fromTable =
    index.kind === 'LOCAL' && !projectsAll && (options.select === 'ALL_ATTRIBUTES' || options.projectionExpression);
  const keyNames = indexKeyNames(table.shape, index);
  return {
    shape: index.shape,
    from: 'ddb_index_items',
    where: 'table_id = ? AND index_name = ?',
    params: [table.id, name],
    partitionColumn: 'ipk',
    sortColumn: 'isk',
    tieColumns: ['pk', 'sk'],
    itemSql: fromTable
      ? '(SELECT t.item FROM ddb_items AS t WHERE t.table_id = x.table_id AND t.pk = x.pk AND t.sk = x.sk)'
      : 'item',
    startKey: (key) => {
      if (Object.keys(key).some((k) => !keyNames.includes(k)) || keyNames.some((k) => !key[k])) {
        throw new ValidationError(
          'The provided starting key is invalid: The provided key element does not match the schema',
        );
      }
      const indexKey = keyOf({ ...table, shape: index.shape }, key, true);
      return [...indexKey, ...keyOf(table, key, true)];
    },
    lastKey: (item) => {
      const out: AttributeMap = {};
      for (const k of keyNames) out[k] = item[k] as AttributeMap[string];
      return out;
    },
  };
}

function page(
  db: Db,
  source: ReadSource,
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
  for (const row of db.prepare(sql).iterate(...params) as Iterable<{ item: string }>) {
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
  if (more && last) result.lastEvaluatedKey = source.lastKey(last);
  return result;
}

function projection(options: ExpressionInput & { projectionExpression?: string }): Path[] | undefined {
  return options.projectionExpression
    ? parseProjection(options.projectionExpression, options.expressionAttributeNames)
    : undefined;
}
