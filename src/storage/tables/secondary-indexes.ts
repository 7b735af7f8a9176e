/**
 * Secondary indexes (global and local): their definitions checked as DynamoDB checks them, and their
 * entries kept in `ddb_index_items` in the same transaction as each item write. An index is sparse:
 * an item that lacks one of the index's key attributes is not in it.
 */
import { ResourceNotFound } from '../../shared/errors.js';
import type { Db } from '../../state/db.js';
import { ValidationError } from './errors.js';
import { type KeyShape, keyShape } from './key-condition.js';
import type { AttributeMap, IndexDefinition, ScalarType, TableDefinition, TableUpdate } from './types.js';
import { encodeKey, itemSize, typeOf } from './values.js';

/** A secondary index as kept in memory. */
export interface IndexMeta {
  kind: 'GLOBAL' | 'LOCAL';
  definition: IndexDefinition;
  shape: KeyShape;
}

/** Where one item sits in one index, and what the index holds of it. */
interface IndexEntry {
  index: IndexMeta;
  ipk: string;
  isk: string;
  item: AttributeMap;
}

const INDEX_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
const PROJECTION_TYPES = ['ALL', 'KEYS_ONLY', 'INCLUDE'] as const;
/** DynamoDB's per-table limits. */
const MAX_GLOBAL_INDEXES = 20;
const MAX_LOCAL_INDEXES = 5;
const MAX_PROJECTED_NON_KEY_ATTRIBUTES = 100;

/**
 * Checks a table's index definitions against its key schema and attribute definitions.
 * @throws ValidationError as DynamoDB words it (undefined key attributes, an LSI on another
 * partition key, duplicate names, limits, projections).
 */
export function checkIndexes(definition: TableDefinition, table: KeyShape): IndexMeta[] {
  const globals = definition.globalSecondaryIndexes ?? [];
  const locals = definition.localSecondaryIndexes ?? [];
  if (globals.length > MAX_GLOBAL_INDEXES) {
    throw invalid(`GlobalSecondaryIndex count exceeds the per-table limit of ${MAX_GLOBAL_INDEXES}`);
  }
  if (locals.length > MAX_LOCAL_INDEXES) {
    throw invalid(`LocalSecondaryIndex count exceeds the per-table limit of ${MAX_LOCAL_INDEXES}`);
  }
  const seen = new Set<string>();
  const indexes: IndexMeta[] = [];
  for (const [kind, list] of [
    ['GLOBAL', globals],
    ['LOCAL', locals],
  ] as const) {
    for (const index of list) {
      const name = index.indexName;
      if (!INDEX_NAME.test(name ?? '')) throw new ValidationError(`Invalid index name: ${JSON.stringify(name)}`);
      if (seen.has(name)) throw invalid(`Duplicate index name: ${name}`);
      seen.add(name);
      const shape = keyShape({ ...definition, keySchema: index.keySchema });
      if (kind === 'LOCAL') checkLocal(name, shape, table);
      checkProjection(index);
      indexes.push({ kind, definition: index, shape });
    }
  }
  const projected = new Set(indexes.flatMap((i) => i.definition.projection.nonKeyAttributes ?? []));
  if (projected.size > MAX_PROJECTED_NON_KEY_ATTRIBUTES) {
    throw invalid(
      `The sum of NonKeyAttributes across all secondary indexes exceeds ${MAX_PROJECTED_NON_KEY_ATTRIBUTES}`,
    );
  }
  return indexes;
}

/**
 * Replaces the index entries of the item at `[pk, sk]` by those of `next` (none when deleted);
 * runs inside the write's transaction. @throws ValidationError when an index key has the wrong type.
 */
export function writeIndexEntries(
  db: Db,
  tableId: number,
  table: KeyShape,
  indexes: IndexMeta[],
  [pk, sk]: [string, string],
  next: AttributeMap | undefined,
): void {
  if (indexes.length === 0) return;
  const entries = next ? indexEntries(table, indexes, next) : [];
  db.prepare('DELETE FROM ddb_index_items WHERE table_id = ? AND pk = ? AND sk = ?').run(tableId, pk, sk);
  const insert = db.prepare(
    'INSERT INTO ddb_index_items (table_id, index_name, ipk, isk, pk, sk, item, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  for (const entry of entries) {
    insert.run(
      tableId,
      entry.index.definition.indexName,
      entry.ipk,
      entry.isk,
      pk,
      sk,
      JSON.stringify(entry.item),
      itemSize(entry.item),
    );
  }
}

/** Fills a new index from the table's items (UpdateTable Create); runs inside a transaction. */
export function backfillIndex(db: Db, tableId: number, table: KeyShape, index: IndexMeta): void {
  const rows = db.prepare('SELECT pk, sk, item FROM ddb_items WHERE table_id = ?').all(tableId) as Array<{
    pk: string;
    sk: string;
    item: string;
  }>;
  const insert = db.prepare(
    'INSERT INTO ddb_index_items (table_id, index_name, ipk, isk, pk, sk, item, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  for (const row of rows) {
    // Items whose index key has another type than the index's stay out of it, as DynamoDB's backfill does.
    const entry = entryOf(table, index, JSON.parse(row.item) as AttributeMap, false);
    if (entry) {
      insert.run(
        tableId,
        index.definition.indexName,
        entry.ipk,
        entry.isk,
        row.pk,
        row.sk,
        JSON.stringify(entry.item),
        itemSize(entry.item),
      );
    }
  }
}

/**
 * A table's definition after one UpdateTable change: a GSI created (its attribute definitions
 * merged in) or deleted. @throws ValidationError, ResourceNotFound (an unknown index)
 */
export function updatedDefinition(current: TableDefinition, update: TableUpdate): TableDefinition {
  const globals = current.globalSecondaryIndexes ?? [];
  if (update.createIndex && update.deleteIndex === undefined) {
    if (globals.some((g) => g.indexName === update.createIndex?.indexName)) {
      throw invalid(`Attempting to create an index which already exists: ${update.createIndex.indexName}`);
    }
    return {
      ...current,
      attributeDefinitions: mergeAttributes(current.attributeDefinitions, update.attributeDefinitions ?? []),
      globalSecondaryIndexes: [...globals, update.createIndex],
    };
  }
  if (update.deleteIndex !== undefined && !update.createIndex) {
    if (!globals.some((g) => g.indexName === update.deleteIndex)) {
      throw new ResourceNotFound(`Requested resource not found: Index: ${update.deleteIndex} not found`);
    }
    const { globalSecondaryIndexes: _, ...rest } = current;
    const kept = globals.filter((g) => g.indexName !== update.deleteIndex);
    return { ...rest, ...(kept.length ? { globalSecondaryIndexes: kept } : {}) };
  }
  throw new ValidationError('UpdateTable needs exactly one GlobalSecondaryIndexUpdates entry (Create or Delete)');
}

/** The names of the key attributes of an index row: the index's keys, then the table's. */
export function indexKeyNames(table: KeyShape, index: IndexMeta): string[] {
  return [...new Set([...shapeNames(index.shape), ...shapeNames(table)])];
}

function indexEntries(table: KeyShape, indexes: IndexMeta[], item: AttributeMap): IndexEntry[] {
  return indexes.map((index) => entryOf(table, index, item, true)).filter((e): e is IndexEntry => e !== undefined);
}

function entryOf(table: KeyShape, index: IndexMeta, item: AttributeMap, strict: boolean): IndexEntry | undefined {
  const name = index.definition.indexName;
  const encode = (key: { name: string; type: ScalarType } | undefined): string | undefined => {
    if (!key) return '';
    const value = item[key.name];
    if (!value) return undefined;
    const type = typeOf(value);
    if (type !== key.type) {
      if (!strict) return undefined;
      throw invalid(`Type mismatch for Index Key ${key.name} Expected: ${key.type} Actual: ${type} IndexName: ${name}`);
    }
    const encoded = encodeKey(value, key.type);
    if (key.type !== 'N' && encoded === '') {
      if (!strict) return undefined;
      throw new ValidationError(
        `One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty ${key.type} value. IndexName: ${name}, IndexKey: ${key.name}`,
      );
    }
    return encoded;
  };
  const ipk = encode(index.shape.partition);
  const isk = encode(index.shape.sort);
  if (ipk === undefined || isk === undefined) return undefined;
  return { index, ipk, isk, item: projectEntry(table, index, item) };
}

function projectEntry(table: KeyShape, index: IndexMeta, item: AttributeMap): AttributeMap {
  const { projectionType, nonKeyAttributes = [] } = index.definition.projection;
  if (projectionType === 'ALL') return item;
  const names = [...indexKeyNames(table, index), ...(projectionType === 'INCLUDE' ? nonKeyAttributes : [])];
  const out: AttributeMap = {};
  for (const name of names) if (item[name] !== undefined) out[name] = item[name] as AttributeMap[string];
  return out;
}

function checkLocal(name: string, shape: KeyShape, table: KeyShape): void {
  if (!table.sort) {
    throw invalid('Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex');
  }
  if (!shape.sort) throw invalid(`Index KeySchema does not have a range key for index: ${name}`);
  if (shape.partition.name !== table.partition.name) {
    throw invalid(
      `Index KeySchema does not have the same leading hash key as table KeySchema for index: ${name}. index hash key: ${shape.partition.name}, table hash key: ${table.partition.name}`,
    );
  }
}

function checkProjection(index: IndexDefinition): void {
  const projection = index.projection;
  if (!projection || !PROJECTION_TYPES.includes(projection.projectionType)) {
    throw invalid(`Unknown ProjectionType for index: ${index.indexName}; use ALL, KEYS_ONLY or INCLUDE`);
  }
  const extra = projection.nonKeyAttributes;
  if (projection.projectionType === 'INCLUDE' && !extra?.length) {
    throw invalid('ProjectionType is INCLUDE, but NonKeyAttributes is not specified');
  }
  if (projection.projectionType !== 'INCLUDE' && extra !== undefined) {
    throw invalid(`ProjectionType is ${projection.projectionType}, but NonKeyAttributes is specified`);
  }
}

function mergeAttributes(
  current: TableDefinition['attributeDefinitions'],
  added: TableDefinition['attributeDefinitions'],
): TableDefinition['attributeDefinitions'] {
  const merged = [...current];
  for (const attribute of added) {
    const existing = merged.find((a) => a.attributeName === attribute.attributeName);
    if (!existing) merged.push(attribute);
    else if (existing.attributeType !== attribute.attributeType) {
      throw new ValidationError(
        `One or more parameter values were invalid: Cannot change the type of attribute ${attribute.attributeName}`,
      );
    }
  }
  return merged;
}

function shapeNames(shape: KeyShape): string[] {
  return [shape.partition.name, ...(shape.sort ? [shape.sort.name] : [])];
}

function invalid(message: string): ValidationError {
  return new ValidationError(`One or more parameter values were invalid: ${message}`);
}
