import { tableArn, tableStreamArn } from '../../shared/arn.js';
import type { BackgroundService, EngineContext } from '../../shared/context.js';
import { ResourceNotFound } from '../../shared/errors.js';
import { Topic } from '../../shared/events.js';
import { migrate } from '../../state/db.js';
import { ChangeLog } from './change-log.js';
import { TableInUse, ValidationError } from './errors.js';
import { indexExpiry, sweepExpired } from './expiry.js';
import { queryPage, readItem, scanPage } from './item-reads.js';
import { type WritePlan, writeItem } from './item-writes.js';
import { keyShape } from './key-condition.js';
import { backfillIndex, checkIndexes, updatedDefinition } from './secondary-indexes.js';
import type { TableMeta } from './table-keys.js';
import { addMissingColumns, TABLE_SCHEMA } from './table-schema.js';
import { MAX_TRANSACTION_ITEMS, runTransaction } from './transactions.js';
import type {
  AttributeMap,
  ExpressionInput,
  IndexDefinition,
  IndexDescription,
  ReadOptions,
  ReadPage,
  StreamViewType,
  TableChange,
  TableDefinition,
  TableDescription,
  TableUpdate,
  TransactGet,
  TransactWrite,
  WriteOptions,
} from './types.js';
import { planCheck, planDelete, planPut, planUpdate, type UpdateOptions } from './write-plans.js';

export { formatChangeSequence } from './change-log.js';

const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
/** How often expired items are looked for. */
const TTL_SWEEP_MS = 1000;
const VIEW_TYPES = ['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'] as const;

/**
 * DynamoDB-like tables on SQLite: items keyed by partition (+ sort) key in DynamoDB's order,
 * condition/update/key expressions, secondary indexes, transactions, TTL expiry, and an optional
 * change stream, all written in the same SQLite transaction as each item write. Every method is synchronous; writes are serialized, so ADD counters are exact.
 * The change stream of a table is one ordered "shard".
 */
export class TableStore implements BackgroundService {
  /** Fires after each committed change of a table with a stream. */
  readonly changed = new Topic<{ tableName: string }>();

  #context: EngineContext;
  #now: () => number;
  #tables = new Map<string, TableMeta>();
  #changes: ChangeLog;
  #sweepMs: number;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(context: EngineContext, options: { now?: () => number; ttlSweepMs?: number } = {}) {
    this.#context = context;
    this.#now = options.now ?? Date.now;
    this.#sweepMs = options.ttlSweepMs ?? TTL_SWEEP_MS;
    migrate(context.db, TABLE_SCHEMA);
    addMissingColumns(context.db);
    this.#changes = new ChangeLog(context.db, this.#now);
    for (const row of context.db.prepare('SELECT * FROM ddb_tables').all() as Array<Record<string, unknown>>) {
      const definition = JSON.parse(row.definition as string) as TableDefinition;
      const shape = keyShape(definition);
      this.#tables.set(definition.tableName, {
        id: row.id as number,
        definition,
        shape,
        indexes: checkIndexes(definition, shape),
        createdAt: row.created_at as number,
        ...(row.stream_label
          ? { streamLabel: row.stream_label as string, viewType: row.stream_view_type as StreamViewType }
          : {}),
      });
    }
  }

  /** Starts the TTL sweep. */
  async start(): Promise<void> {
    this.#sweeper ??= setInterval(() => this.sweepExpired(), this.#sweepMs);
    this.#sweeper.unref();
  }

  /** Stops the TTL sweep. */
  async stop(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  /** Deletes the items whose TTL has passed (the background sweep runs this every second). */
  sweepExpired(): void {
    try {
      const changed = sweepExpired(this.#context.db, this.#changes, this.#tables.values(), this.#now());
      for (const tableName of changed) this.changed.publish({ tableName });
    } catch (err) {
      this.#context.log.error('TTL sweep failed', { err });
    }
  }

  /**
   * Enables TTL on an attribute (epoch seconds) or disables it.
   * @throws ResourceNotFound; ValidationError when TTL is already in that state or names another attribute
   */
  updateTimeToLive(name: string, spec: { enabled: boolean; attributeName: string }): void {
    const table = this.#table(name);
    const current = table.definition.timeToLiveAttribute;
    if (!spec.attributeName) throw new ValidationError('TimeToLiveSpecification.AttributeName is required');
    if (spec.enabled && current) throw new ValidationError('TimeToLive is already enabled');
    if (!spec.enabled && !current) throw new ValidationError('TimeToLive is already disabled');
    if (!spec.enabled && current !== spec.attributeName) {
      throw new ValidationError(`TimeToLive is enabled on attribute ${current}, not ${spec.attributeName}`);
    }
    const { timeToLiveAttribute: _, ...rest } = table.definition;
    const next: TableDefinition = spec.enabled ? { ...rest, timeToLiveAttribute: spec.attributeName } : rest;
    const db = this.#context.db;
    db.transaction(() => {
      db.prepare('DELETE FROM ddb_expiry WHERE table_id = ?').run(table.id);
      if (spec.enabled) indexExpiry(db, table, spec.attributeName);
      db.prepare('UPDATE ddb_tables SET definition = ? WHERE id = ?').run(JSON.stringify(next), table.id);
    })();
    table.definition = next;
  }

  /** The TTL attribute, or undefined when TTL is disabled. @throws ResourceNotFound */
  timeToLiveAttribute(name: string): string | undefined {
    return this.#table(name).definition.timeToLiveAttribute;
  }

  /** Creates a table. @throws TableInUse when it exists; ValidationError for a bad definition. */
  createTable(definition: TableDefinition): TableDescription {
    const name = definition.tableName;
    if (!TABLE_NAME.test(name ?? '')) throw new ValidationError(`Invalid table name: ${JSON.stringify(name)}`);
    if (this.#tables.has(name)) throw new TableInUse(`Table already exists: ${name}`);
    const shape = keyShape(definition);
    const indexes = checkIndexes(definition, shape);
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
      ...(definition.globalSecondaryIndexes?.length
        ? { globalSecondaryIndexes: definition.globalSecondaryIndexes }
        : {}),
      ...(definition.localSecondaryIndexes?.length ? { localSecondaryIndexes: definition.localSecondaryIndexes } : {}),
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
      indexes,
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
    const { globalSecondaryIndexes, localSecondaryIndexes, timeToLiveAttribute, ...definition } = table.definition;
    const arn = tableArn(this.#context.region, name);
    const describe = (indexes: IndexDefinition[] | undefined) =>
      indexes?.length ? indexes.map((index) => this.#describeIndex(table, arn, index)) : undefined;
    const globals = describe(globalSecondaryIndexes);
    const locals = describe(localSecondaryIndexes);
    return {
      ...definition,
      ...(globals ? { globalSecondaryIndexes: globals } : {}),
      ...(locals ? { localSecondaryIndexes: locals } : {}),
      tableArn: arn,
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
      db.prepare('DELETE FROM ddb_index_items WHERE table_id = ?').run(table.id);
      db.prepare('DELETE FROM ddb_expiry WHERE table_id = ?').run(table.id);
      db.prepare('DELETE FROM ddb_changes WHERE table_id = ?').run(table.id);
      db.prepare('DELETE FROM ddb_tables WHERE id = ?').run(table.id);
    })();
    this.#tables.delete(name);
    return description;
  }

  /**
   * Creates (and fills from the table's items) or deletes one global secondary index.
   * @throws ResourceNotFound; ValidationError for a bad index, an unknown one, or no change.
   */
  updateTable(name: string, update: TableUpdate): TableDescription {
    const table = this.#table(name);
    const next = updatedDefinition(table.definition, update);
    const indexes = checkIndexes(next, table.shape);
    const db = this.#context.db;
    db.transaction(() => {
      if (update.deleteIndex !== undefined) {
        db.prepare('DELETE FROM ddb_index_items WHERE table_id = ? AND index_name = ?').run(
          table.id,
          update.deleteIndex,
        );
      }
      const created = indexes.find((i) => i.definition.indexName === update.createIndex?.indexName);
      if (created) backfillIndex(db, table.id, table.shape, created);
      db.prepare('UPDATE ddb_tables SET definition = ? WHERE id = ?').run(JSON.stringify(next), table.id);
    })();
    table.definition = next;
    table.indexes = indexes;
    return this.describeTable(name);
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
    return this.#write(planPut(this.#table(name), item, options));
  }

  /** The item with that key, or undefined. @throws ResourceNotFound, ValidationError */
  getItem(
    name: string,
    key: AttributeMap,
    options: ExpressionInput & { projectionExpression?: string } = {},
  ): AttributeMap | undefined {
    const table = this.#table(name);
    return readItem(this.#context.db, table, key, options);
  }

  /**
   * Updates (or creates) the item with that key by an UpdateExpression.
   * @throws ConditionalCheckFailed, ValidationError
   */
  updateItem(name: string, key: AttributeMap, options: UpdateOptions): { attributes?: AttributeMap } {
    return this.#write(planUpdate(this.#table(name), key, options));
  }

  /** Deletes the item with that key (no error when absent). @throws ConditionalCheckFailed, ValidationError */
  deleteItem(name: string, key: AttributeMap, options: WriteOptions = {}): { attributes?: AttributeMap } {
    return this.#write(planDelete(this.#table(name), key, options));
  }

  /**
   * Runs up to 100 writes all or nothing in one transaction; with a token, a repeat of the same
   * request within 10 minutes changes nothing. Change records are published after the commit.
   * @throws ResourceNotFound, ValidationError, TransactionCanceled, IdempotentParameterMismatch
   */
  transactWrite(writes: TransactWrite[], clientRequestToken?: string): void {
    const items = writes.map((write) => {
      const table = this.#table(write.tableName);
      const key = (): AttributeMap => {
        if (!write.key) throw new ValidationError(`${write.kind} needs a Key`);
        return write.key;
      };
      let plan: WritePlan;
      switch (write.kind) {
        case 'Put':
          if (!write.item) throw new ValidationError('Put needs an Item');
          plan = planPut(table, write.item, write.options);
          break;
        case 'Update':
          plan = planUpdate(table, key(), write.options);
          break;
        case 'Delete':
          plan = planDelete(table, key(), write.options);
          break;
        case 'ConditionCheck':
          plan = planCheck(table, key(), write.options);
          break;
        default:
          throw new ValidationError(`Unknown transaction item: ${String(write.kind)}`);
      }
      return { plan, ...(write.returnOldOnFailure ? { returnOldOnFailure: true } : {}) };
    });
    const token = clientRequestToken === undefined ? undefined : { value: clientRequestToken, request: writes };
    const changed = runTransaction(this.#context.db, this.#changes, items, token, this.#now());
    for (const tableName of changed) this.changed.publish({ tableName });
  }

  /** Reads up to 100 items as of one moment; undefined where an item is absent. @throws ResourceNotFound, ValidationError */
  transactGet(gets: TransactGet[]): Array<AttributeMap | undefined> {
    if (gets.length < 1 || gets.length > MAX_TRANSACTION_ITEMS) {
      throw new ValidationError(`A transaction holds 1 to ${MAX_TRANSACTION_ITEMS} items`);
    }
    const tables = gets.map((get) => this.#table(get.tableName));
    const db = this.#context.db;
    return db.transaction(() => gets.map((get, i) => readItem(db, tables[i] as TableMeta, get.key, get)))();
  }

  /**
   * Reads items of one partition in sort key order (reverse with scanIndexForward false). `limit`
   * counts items evaluated before the filter, as DynamoDB does; pages stop at 1 MB.
   * @throws ValidationError
   */
  query(name: string, options: ReadOptions): ReadPage {
    const table = this.#table(name);
    return queryPage(this.#context.db, table, options);
  }

  /** Reads every item in key order, a page at a time. @throws ValidationError */
  scan(name: string, options: ReadOptions = {}): ReadPage {
    const table = this.#table(name);
    return scanPage(this.#context.db, table, options);
  }

  /**
   * Changes of a table's stream after `afterSequence` (exclusive; undefined = oldest), in order.
   * Images follow the table's StreamViewType. @throws ResourceNotFound
   */
  readChanges(tableName: string, afterSequence: string | undefined, limit: number): TableChange[] {
    const table = this.#table(tableName);
    return this.#changes.read(table, afterSequence, limit);
  }

  /** The sequence number of the table's newest change, or undefined when it has none. @throws ResourceNotFound */
  lastChangeSequence(tableName: string): string | undefined {
    const table = this.#table(tableName);
    return this.#changes.last(table);
  }

  /** Runs one conditional write and its change record in a transaction, then publishes the change. */
  #write(plan: WritePlan): { attributes?: AttributeMap } {
    const { result, changed } = writeItem(this.#context.db, this.#changes, plan);
    if (changed) this.changed.publish({ tableName: plan.table.definition.tableName });
    return result;
  }

  #describeIndex(table: TableMeta, arn: string, index: IndexDefinition): IndexDescription {
    const stats = this.#context.db
      .prepare(
        'SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM ddb_index_items WHERE table_id = ? AND index_name = ?',
      )
      .get(table.id, index.indexName) as { n: number; bytes: number };
    return { ...index, indexArn: `${arn}/index/${index.indexName}`, itemCount: stats.n, indexSizeBytes: stats.bytes };
  }

  #table(name: string): TableMeta {
    const table = this.#tables.get(name);
    if (!table) throw new ResourceNotFound(`Requested resource not found: Table: ${name} not found`);
    return table;
  }
}
