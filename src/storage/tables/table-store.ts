import { tableArn, tableStreamArn } from '../../shared/arn.js';
import type { BackgroundService, EngineContext } from '../../shared/context.js';
import { ResourceNotFound } from '../../shared/errors.js';
import { Topic } from '../../shared/events.js';
import { migrate } from '../../state/db.js';
import { ConditionalCheckFailed, TableInUse, ValidationError } from './errors.js';
import { applyUpdate, evaluateCondition, project } from './evaluate.js';
import { type Path, parseCondition, parseProjection, parseUpdate } from './expression-parser.js';
import { type KeyShape, keyShape, planKeyCondition } from './key-condition.js';
import { returnValues } from './return-values.js';
import { TABLE_SCHEMA } from './table-schema.js';
import type {
  AttributeMap,
  ExpressionInput,
  ReadOptions,
  ReadPage,
  ScalarType,
  StreamViewType,
  TableChange,
  TableDefinition,
  TableDescription,
  WriteOptions,
} from './types.js';
import { checkMap, encodeKey, itemSize, typeOf } from './values.js';

interface TableMeta {
  id: number;
  definition: TableDefinition;
  shape: KeyShape;
  createdAt: number;
  streamLabel?: string;
  viewType?: StreamViewType;
}

interface ItemRow {
  pk: string;
  sk: string;
  item: string;
}

const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
const MAX_ITEM_BYTES = 400 * 1024;
const MAX_PAGE_BYTES = 1024 * 1024;
const VIEW_TYPES = ['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'] as const;
/** Change records are kept 24 hours, as DynamoDB Streams keeps them. */
const CHANGE_RETENTION_MS = 24 * 3_600_000;
/** Expired changes are deleted once every this many changes (cheap, and needs no timer). */
const TRIM_EVERY = 1000;

/**
 * DynamoDB-like tables on SQLite: items keyed by partition (+ sort) key in DynamoDB's order,
 * condition/update/key expressions, and an optional change stream written in the same transaction
 * as each item write. Every method is synchronous; writes are serialized, so ADD counters are exact.
 * The change stream of a table is one ordered "shard".
 */
export class TableStore implements BackgroundService {
  /** Fires after each committed change of a table with a stream. */
  readonly changed = new Topic<{ tableName: string }>();

  #context: EngineContext;
  #now: () => number;
  #tables = new Map<string, TableMeta>();
  #changesSinceTrim = 0;

  constructor(context: EngineContext, options: { now?: () => number } = {}) {
    this.#context = context;
    this.#now = options.now ?? Date.now;
    migrate(context.db, TABLE_SCHEMA);
    for (const row of context.db.prepare('SELECT * FROM ddb_tables').all() as Array<Record<string, unknown>>) {
      const definition = JSON.parse(row.definition as string) as TableDefinition;
      this.#tables.set(definition.tableName, {
        id: row.id as number,
        definition,
        shape: keyShape(definition),
        createdAt: row.created_at as number,
        ...(row.stream_label
          ? { streamLabel: row.stream_label as string, viewType: row.stream_view_type as StreamViewType }
          : {}),
      });
    }
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  /** Creates a table. @throws TableInUse when it exists; ValidationError for a bad definition. */
  createTable(definition: TableDefinition): TableDescription {
    const name = definition.tableName;
    if (!TABLE_NAME.test(name ?? '')) throw new ValidationError(`Invalid table name: ${JSON.stringify(name)}`);
    if (this.#tables.has(name)) throw new TableInUse(`Table already exists: ${name}`);
    const shape = keyShape(definition);
    const spec = definition.streamSpecification;
    const viewType = spec?.streamEnabled ? spec.streamViewType : undefined;
    if (spec?.streamEnabled && !VIEW_TYPES.includes(viewType as StreamViewType)) {
      throw new ValidationError('StreamViewType must be one of KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES');
    }
    const createdAt = this.#now();
    const streamLabel = viewType ? new Date(createdAt).toISOString().replace('Z', '') : undefined;
    const stored: TableDefinition = {
      tableName: name,
      keySchema: definition.keySchema,
      attributeDefinitions: definition.attributeDefinitions,
      ...(spec ? { streamSpecification: spec } : {}),
    };
    const id = Number(
      this.#context.db
        .prepare(
          'INSERT INTO ddb_tables (name, definition, created_at, stream_view_type, stream_label) VALUES (?, ?, ?, ?, ?)',
        )
        .run(name, JSON.stringify(stored), createdAt, viewType ?? null, streamLabel ?? null).lastInsertRowid,
    );
    this.#tables.set(name, {
      id,
      definition: stored,
      shape,
      createdAt,
      ...(viewType ? { viewType, streamLabel } : {}),
    });
    return this.describeTable(name);
  }

  /** The table's definition and counts. @throws ResourceNotFound */
  describeTable(name: string): TableDescription {
    const table = this.#table(name);
    const stats = this.#context.db
      .prepare('SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM ddb_items WHERE table_id = ?')
      .get(table.id) as { n: number; bytes: number };
    const streamArn = this.streamArn(name);
    return {
      ...table.definition,
      tableArn: tableArn(this.#context.region, name),
      tableStatus: 'ACTIVE',
      creationDateTime: table.createdAt,
      itemCount: stats.n,
      tableSizeBytes: stats.bytes,
      ...(streamArn ? { latestStreamArn: streamArn, latestStreamLabel: table.streamLabel } : {}),
    };
  }

  /** Table names, sorted. */
  listTables(): string[] {
    return [...this.#tables.keys()].sort();
  }

  /** Deletes a table, its items and its change stream. @throws ResourceNotFound */
  deleteTable(name: string): TableDescription {
    const description = this.describeTable(name);
    const table = this.#table(name);
    const db = this.#context.db;
    db.transaction(() => {
      db.prepare('DELETE FROM ddb_items WHERE table_id = ?').run(table.id);
      db.prepare('DELETE FROM ddb_changes WHERE table_id = ?').run(table.id);
      db.prepare('DELETE FROM ddb_tables WHERE id = ?').run(table.id);
    })();
    this.#tables.delete(name);
    return description;
  }

  /** The table's stream ARN, or undefined when it has no stream. @throws ResourceNotFound */
  streamArn(tableName: string): string | undefined {
    const table = this.#table(tableName);
    return table.streamLabel ? tableStreamArn(this.#context.region, tableName, table.streamLabel) : undefined;
  }

  /** The table's stream view type, or undefined when it has no stream. @throws ResourceNotFound */
  streamViewType(tableName: string): StreamViewType | undefined {
    return this.#table(tableName).viewType;
  }

  /** Writes an item, replacing any with the same key. @throws ConditionalCheckFailed, ValidationError */
  putItem(name: string, item: AttributeMap, options: WriteOptions = {}): { attributes?: AttributeMap } {
    const table = this.#table(name);
    const checked = checkMap(item);
    const key = this.#keyOf(table, checked, true);
    return this.#write(table, key, options, () => checked);
  }

  /** The item with that key, or undefined. @throws ResourceNotFound, ValidationError */
  getItem(
    name: string,
    key: AttributeMap,
    options: ExpressionInput & { projectionExpression?: string } = {},
  ): AttributeMap | undefined {
    const table = this.#table(name);
    const [pk, sk] = this.#keyOf(table, checkMap(key, 'key'), false);
    const row = this.#context.db
      .prepare('SELECT item FROM ddb_items WHERE table_id = ? AND pk = ? AND sk = ?')
      .get(table.id, pk, sk) as { item: string } | undefined;
    if (!row) return undefined;
    const item = JSON.parse(row.item) as AttributeMap;
    const paths = projection(options);
    return paths ? project(item, paths) : item;
  }

  /**
   * Updates (or creates) the item with that key by an UpdateExpression.
   * @throws ConditionalCheckFailed, ValidationError
   */
  updateItem(
    name: string,
    key: AttributeMap,
    options: WriteOptions & { updateExpression?: string },
  ): { attributes?: AttributeMap } {
    const table = this.#table(name);
    const checkedKey = checkMap(key, 'key');
    const encoded = this.#keyOf(table, checkedKey, false);
    const names = options.expressionAttributeNames ?? {};
    const values = checkMap(options.expressionAttributeValues ?? {}, 'ExpressionAttributeValues');
    const actions = options.updateExpression ? parseUpdate(options.updateExpression, names, values) : undefined;
    const keyNames = [table.shape.partition.name, table.shape.sort?.name].filter(Boolean) as string[];
    let touched = new Set<string>();
    return this.#write(
      table,
      encoded,
      options,
      (old) => {
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
      () => touched,
    );
  }

  /** Deletes the item with that key (no error when absent). @throws ConditionalCheckFailed, ValidationError */
  deleteItem(name: string, key: AttributeMap, options: WriteOptions = {}): { attributes?: AttributeMap } {
    const table = this.#table(name);
    const encoded = this.#keyOf(table, checkMap(key, 'key'), false);
    return this.#write(table, encoded, options, () => undefined);
  }

  /**
   * Reads items of one partition in sort key order (reverse with scanIndexForward false). `limit`
   * counts items evaluated before the filter, as DynamoDB does; pages stop at 1 MB.
   * @throws ValidationError
   */
  query(name: string, options: ReadOptions): ReadPage {
    const table = this.#table(name);
    if (!options.keyConditionExpression) throw new ValidationError('KeyConditionExpression is required');
    const values = checkMap(options.expressionAttributeValues ?? {}, 'ExpressionAttributeValues');
    const condition = parseCondition(options.keyConditionExpression, options.expressionAttributeNames, values);
    const range = planKeyCondition(condition, table.shape);
    const forward = options.scanIndexForward !== false;
    const params: unknown[] = [table.id, range.partition, ...range.sortParams];
    let sql = `SELECT pk, sk, item FROM ddb_items WHERE table_id = ? AND pk = ?${range.sortSql ? ` AND ${range.sortSql}` : ''}`;
    if (options.exclusiveStartKey) {
      const [, sk] = this.#keyOf(table, checkMap(options.exclusiveStartKey, 'ExclusiveStartKey'), false);
      sql += forward ? ' AND sk > ?' : ' AND sk < ?';
      params.push(sk);
    }
    sql += ` ORDER BY sk ${forward ? 'ASC' : 'DESC'}`;
    return this.#page(table, sql, params, options, values);
  }

  /** Reads every item in key order, a page at a time. @throws ValidationError */
  scan(name: string, options: ReadOptions = {}): ReadPage {
    const table = this.#table(name);
    const values = checkMap(options.expressionAttributeValues ?? {}, 'ExpressionAttributeValues');
    const params: unknown[] = [table.id];
    let sql = 'SELECT pk, sk, item FROM ddb_items WHERE table_id = ?';
    if (options.exclusiveStartKey) {
      const [pk, sk] = this.#keyOf(table, checkMap(options.exclusiveStartKey, 'ExclusiveStartKey'), false);
      sql += ' AND (pk, sk) > (?, ?)';
      params.push(pk, sk);
    }
    sql += ' ORDER BY pk, sk';
    return this.#page(table, sql, params, options, values);
  }

  /**
   * Changes of a table's stream after `afterSequence` (exclusive; undefined = oldest), in order.
   * Images follow the table's StreamViewType. @throws ResourceNotFound
   */
  readChanges(tableName: string, afterSequence: string | undefined, limit: number): TableChange[] {
    const table = this.#table(tableName);
    const after = afterSequence === undefined ? 0 : Number(afterSequence);
    if (!Number.isSafeInteger(after)) throw new ValidationError(`Invalid sequence number: ${afterSequence}`);
    const rows = this.#context.db
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
    }));
  }

  /** The sequence number of the table's newest change, or undefined when it has none. @throws ResourceNotFound */
  lastChangeSequence(tableName: string): string | undefined {
    const table = this.#table(tableName);
    const seq = this.#context.db.prepare('SELECT MAX(seq) FROM ddb_changes WHERE table_id = ?').pluck().get(table.id);
    return typeof seq === 'number' ? formatChangeSequence(seq) : undefined;
  }

  #page(table: TableMeta, sql: string, params: unknown[], options: ReadOptions, values: AttributeMap): ReadPage {
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
    for (const row of this.#context.db.prepare(sql).iterate(...params) as Iterable<ItemRow>) {
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
    const page: ReadPage = {
      items: options.select === 'COUNT' ? [] : items,
      count: items.length,
      scannedCount: scanned,
    };
    if (more && last) page.lastEvaluatedKey = this.#keyAttributes(table, last);
    return page;
  }

  /** Runs one conditional write and its change record in a transaction. */
  #write(
    table: TableMeta,
    [pk, sk]: [string, string],
    options: WriteOptions,
    produce: (old: AttributeMap | undefined) => AttributeMap | undefined,
    touched?: () => Set<string>,
  ): { attributes?: AttributeMap } {
    const values = checkMap(options.expressionAttributeValues ?? {}, 'ExpressionAttributeValues');
    const condition = options.conditionExpression
      ? parseCondition(options.conditionExpression, options.expressionAttributeNames, values)
      : undefined;
    const db = this.#context.db;
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
        this.#recordChange(table, old, next);
        changed = true;
      }
      result = returnValues(options.returnValues, old, next, touched?.());
    })();
    if (changed) this.changed.publish({ tableName: table.definition.tableName });
    return result;
  }

  #recordChange(table: TableMeta, old: AttributeMap | undefined, next: AttributeMap | undefined): void {
    const view = table.viewType as StreamViewType;
    const keys = this.#keyAttributes(table, (next ?? old) as AttributeMap);
    const newImage = next && (view === 'NEW_IMAGE' || view === 'NEW_AND_OLD_IMAGES') ? JSON.stringify(next) : null;
    const oldImage = old && (view === 'OLD_IMAGE' || view === 'NEW_AND_OLD_IMAGES') ? JSON.stringify(old) : null;
    const eventName = !old ? 'INSERT' : next ? 'MODIFY' : 'REMOVE';
    const size = itemSize(keys) + (next && newImage ? itemSize(next) : 0) + (old && oldImage ? itemSize(old) : 0);
    this.#context.db
      .prepare(
        'INSERT INTO ddb_changes (table_id, event_name, keys, new_image, old_image, created_at, size) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(table.id, eventName, JSON.stringify(keys), newImage, oldImage, this.#now(), size);
    if (++this.#changesSinceTrim >= TRIM_EVERY) {
      this.#changesSinceTrim = 0;
      this.#context.db.prepare('DELETE FROM ddb_changes WHERE created_at < ?').run(this.#now() - CHANGE_RETENTION_MS);
    }
  }

  #table(name: string): TableMeta {
    const table = this.#tables.get(name);
    if (!table) throw new ResourceNotFound(`Requested resource not found: Table: ${name} not found`);
    return table;
  }

  /** The encoded key of an item or key; with `wholeItem` other attributes are allowed. @throws ValidationError */
  #keyOf(table: TableMeta, map: AttributeMap, wholeItem: boolean): [string, string] {
    const { partition, sort } = table.shape;
    const names = [partition.name, ...(sort ? [sort.name] : [])];
    if (!wholeItem && Object.keys(map).some((k) => !names.includes(k))) {
      throw new ValidationError('The provided key element does not match the schema');
    }
    const encode = (name: string, type: ScalarType) => {
      const value = map[name];
      if (!value)
        throw new ValidationError(`One or more parameter values were invalid: Missing the key ${name} in the item`);
      if (typeOf(value) !== type) {
        throw new ValidationError(
          `One or more parameter values were invalid: Type mismatch for key ${name} expected: ${type} actual: ${typeOf(value)}`,
        );
      }
      const encoded = encodeKey(value, type);
      if (type !== 'N' && encoded === '') {
        throw new ValidationError(
          `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty ${type} value. Key: ${name}`,
        );
      }
      return encoded;
    };
    return [encode(partition.name, partition.type), sort ? encode(sort.name, sort.type) : ''];
  }

  #keyAttributes(table: TableMeta, item: AttributeMap): AttributeMap {
    const { partition, sort } = table.shape;
    const keys: AttributeMap = { [partition.name]: item[partition.name] as AttributeMap[string] };
    if (sort) keys[sort.name] = item[sort.name] as AttributeMap[string];
    return keys;
  }
}

/** Change sequence numbers: fixed-length decimal, so string order is numeric order. */
export function formatChangeSequence(seq: number): string {
  return String(seq).padStart(21, '0');
}

function projection(options: ExpressionInput & { projectionExpression?: string }): Path[] | undefined {
  return options.projectionExpression
    ? parseProjection(options.projectionExpression, options.expressionAttributeNames)
    : undefined;
}
