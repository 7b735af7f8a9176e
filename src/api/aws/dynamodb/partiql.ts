/**
 * PartiQL for DynamoDB (ExecuteStatement, BatchExecuteStatement) over the table store: a parsed
 * statement becomes a Query (WHERE names the partition key), a Scan, or a conditional
 * Put/Update/Delete of the item its WHERE names by its whole key.
 */
import type { Engine } from '../../../engine.js';
import {
  type AttributeMap,
  type AttributeValue,
  ConditionalCheckFailed,
  DuplicateItem,
  type TableDescription,
  ValidationError,
} from '../../../storage/tables/index.js';
import { parseStatement, type Statement, type Term, type Value } from './partiql-parser.js';

/** What ExecuteStatement answers: items of a SELECT (none for writes) and the next page's token. */
export interface StatementResult {
  tableName: string;
  items: AttributeMap[];
  nextToken?: string;
}

/** Options of one statement. */
export interface StatementOptions {
  parameters?: AttributeValue[];
  limit?: number;
  nextToken?: string;
  consistentRead?: boolean;
}

/** Runs one PartiQL statement. @throws ValidationError, ResourceNotFound, ConditionalCheckFailed, DuplicateItem */
export function executeStatement(engine: Engine, text: string, options: StatementOptions = {}): StatementResult {
  const statement = parseStatement(text);
  const parameters = options.parameters ?? [];
  const expected = countParameters(statement);
  if (parameters.length !== expected) {
    throw new ValidationError(
      `Number of parameters in request and statement don't match. Statement: ${expected}, request: ${parameters.length}`,
    );
  }
  const table = engine.tables.describeTable(statement.table);
  const placeholders = new Placeholders(parameters);
  switch (statement.kind) {
    case 'SELECT':
      return select(engine, table, statement, placeholders, options);
    case 'INSERT': {
      const item = placeholders.resolve(statement.item);
      if (!('M' in item)) throw new ValidationError('INSERT needs a map (a { … } tuple) as its VALUE');
      const hash = hashKeyOf(table.keySchema);
      try {
        engine.tables.putItem(table.tableName, item.M, {
          conditionExpression: `attribute_not_exists(${placeholders.name(hash)})`,
          expressionAttributeNames: placeholders.names,
        });
      } catch (err) {
        if (err instanceof ConditionalCheckFailed) throw new DuplicateItem();
        throw err;
      }
      return { tableName: table.tableName, items: [] };
    }
    case 'UPDATE': {
      const { key, rest } = keyOf(table, statement.where, placeholders);
      const sets = statement.set.map((s) => `${placeholders.name(s.attribute)} = ${placeholders.value(s.value)}`);
      const removes = statement.remove.map((r) => placeholders.name(r));
      const conditions = [
        `attribute_exists(${placeholders.name(hashKeyOf(table.keySchema))})`,
        ...rest.map((t) => placeholders.condition(t)),
      ];
      engine.tables.updateItem(table.tableName, key, {
        updateExpression: [
          sets.length ? `SET ${sets.join(', ')}` : '',
          removes.length ? `REMOVE ${removes.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join(' '),
        conditionExpression: conditions.join(' AND '),
        ...placeholders.expressionInput(),
      });
      return { tableName: table.tableName, items: [] };
    }
    case 'DELETE': {
      const { key, rest } = keyOf(table, statement.where, placeholders);
      engine.tables.deleteItem(table.tableName, key, {
        ...(rest.length ? { conditionExpression: rest.map((t) => placeholders.condition(t)).join(' AND ') } : {}),
        ...placeholders.expressionInput(),
      });
      return { tableName: table.tableName, items: [] };
    }
  }
}

function select(
  engine: Engine,
  table: TableDescription,
  statement: Extract<Statement, { kind: 'SELECT' }>,
  placeholders: Placeholders,
  options: StatementOptions,
): StatementResult {
  let keySchema = table.keySchema;
  if (statement.index) {
    const index = [...(table.globalSecondaryIndexes ?? []), ...(table.localSecondaryIndexes ?? [])].find(
      (i) => i.indexName === statement.index,
    );
    if (!index) throw new ValidationError(`The table does not have the specified index: ${statement.index}`);
    keySchema = index.keySchema;
  }
  const hash = hashKeyOf(keySchema);
  const range = keySchema.find((k) => k.keyType === 'RANGE')?.attributeName;
  const partition = statement.where.find((t) => t.attribute === hash && t.op === '=');
  const sort = partition ? statement.where.find((t) => t.attribute === range && t.op !== '<>') : undefined;
  const filter = statement.where.filter((t) => t !== partition && t !== sort);
  const keyCondition = partition ? [partition, ...(sort ? [sort] : [])].map((t) => placeholders.condition(t)) : [];
  const filterExpression = filter.map((t) => placeholders.condition(t)).join(' AND ');
  const projection = statement.attributes?.map((a) => placeholders.name(a)).join(', ');
  const read = {
    ...(statement.index ? { indexName: statement.index } : {}),
    ...(options.consistentRead ? { consistentRead: true } : {}),
    ...(filterExpression ? { filterExpression } : {}),
    ...(projection ? { projectionExpression: projection } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.nextToken ? { exclusiveStartKey: decodeToken(options.nextToken) } : {}),
    ...placeholders.expressionInput(),
  };
  const page = partition
    ? engine.tables.query(table.tableName, { ...read, keyConditionExpression: keyCondition.join(' AND ') })
    : engine.tables.scan(table.tableName, read);
  return {
    tableName: table.tableName,
    items: page.items,
    ...(page.lastEvaluatedKey ? { nextToken: encodeToken(page.lastEvaluatedKey) } : {}),
  };
}

/** The item key a write's WHERE names by equality on every key attribute, and its other terms. */
function keyOf(
  table: TableDescription,
  where: Term[],
  placeholders: Placeholders,
): { key: AttributeMap; rest: Term[] } {
  const key: AttributeMap = {};
  const used = new Set<Term>();
  for (const { attributeName } of table.keySchema) {
    const term = where.find((t) => t.attribute === attributeName && t.op === '=');
    if (!term) throw new ValidationError('Where clause does not contain a mandatory equality on all key attributes');
    key[attributeName] = placeholders.resolve(term.values[0] as Value);
    used.add(term);
  }
  return { key, rest: where.filter((t) => !used.has(t)) };
}

/** Expression attribute names and values built while translating a statement. */
class Placeholders {
  readonly names: Record<string, string> = {};
  readonly values: AttributeMap = {};
  #parameters: AttributeValue[];

  constructor(parameters: AttributeValue[]) {
    this.#parameters = parameters;
  }

  name(attribute: string): string {
    const existing = Object.entries(this.names).find(([, a]) => a === attribute)?.[0];
    if (existing) return existing;
    const placeholder = `#n${Object.keys(this.names).length}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: Value): string {
    const placeholder = `:v${Object.keys(this.values).length}`;
    this.values[placeholder] = this.resolve(value);
    return placeholder;
  }

  resolve(value: Value): AttributeValue {
    if ('literal' in value) return value.literal;
    if ('parameter' in value) return this.#parameters[value.parameter] as AttributeValue;
    if ('list' in value) return { L: value.list.map((v) => this.resolve(v)) };
    return { M: Object.fromEntries(Object.entries(value.map).map(([k, v]) => [k, this.resolve(v)])) };
  }

  condition(term: Term): string {
    const name = this.name(term.attribute);
    const [first, second] = term.values.map((v) => this.value(v));
    if (term.op === 'BETWEEN') return `${name} BETWEEN ${first} AND ${second}`;
    if (term.op === 'begins_with') return `begins_with(${name}, ${first})`;
    return `${name} ${term.op} ${first}`;
  }

  expressionInput(): { expressionAttributeNames?: Record<string, string>; expressionAttributeValues?: AttributeMap } {
    return {
      ...(Object.keys(this.names).length ? { expressionAttributeNames: this.names } : {}),
      ...(Object.keys(this.values).length ? { expressionAttributeValues: this.values } : {}),
    };
  }
}

function hashKeyOf(keySchema: TableDescription['keySchema']): string {
  return keySchema.find((k) => k.keyType === 'HASH')?.attributeName as string;
}

function countParameters(statement: Statement): number {
  const values: Value[] = [];
  if (statement.kind === 'INSERT') values.push(statement.item);
  if (statement.kind === 'UPDATE') values.push(...statement.set.map((s) => s.value));
  if (statement.kind !== 'INSERT') values.push(...statement.where.flatMap((t) => t.values));
  return values.reduce((n, v) => n + parametersIn(v), 0);
}

function parametersIn(value: Value): number {
  if ('parameter' in value) return 1;
  if ('list' in value) return value.list.reduce((n, v) => n + parametersIn(v), 0);
  if ('map' in value) return Object.values(value.map).reduce((n, v) => n + parametersIn(v), 0);
  return 0;
}

function encodeToken(key: AttributeMap): string {
  return Buffer.from(JSON.stringify(key)).toString('base64');
}

function decodeToken(token: string): AttributeMap {
  try {
    const key = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as unknown;
    if (key && typeof key === 'object' && !Array.isArray(key)) return key as AttributeMap;
  } catch (err) {
    throw new ValidationError('Invalid NextToken', { cause: err });
  }
  throw new ValidationError('Invalid NextToken');
}
