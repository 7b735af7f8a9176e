import type { Engine } from '../../../engine.js';
import { tableNameOf } from '../../../shared/arn.js';
import { LambdataError } from '../../../shared/errors.js';
import type {
  AttributeMap,
  AttributeValue,
  ReadOptions,
  ReturnValues,
  TransactWrite,
  WriteOptions,
} from '../../../storage/tables/index.js';
import { ValidationError } from '../../../storage/tables/index.js';
import { executeStatement, type StatementOptions } from './partiql.js';
import {
  attributeDefinitions,
  expressionInput,
  type Input,
  indexDefinition,
  tableDefinition,
  wireTable,
} from './wire.js';

/** A DynamoDB operation: JSON request in, JSON response out. */
export type DynamoDbOperation = (engine: Engine, input: Input) => unknown;

const LEGACY = ['Expected', 'AttributeUpdates', 'KeyConditions', 'QueryFilter', 'ScanFilter', 'AttributesToGet'];

/** The DynamoDB operations lambdata answers, by X-Amz-Target action name. */
export const operations: Record<string, DynamoDbOperation> = {
  CreateTable(engine, input) {
    return { TableDescription: wireTable(engine.tables.createTable(tableDefinition(input))) };
  },
  UpdateTable(engine, input) {
    const updates = (input.GlobalSecondaryIndexUpdates ?? []) as Array<{ Create?: Input; Delete?: Input }>;
    if (updates.length === 0) {
      return { TableDescription: wireTable(engine.tables.describeTable(tableName(input))) };
    }
    if (updates.length > 1)
      throw new ValidationError('Only one global secondary index can be created or deleted per UpdateTable');
    const [update] = updates as [{ Create?: Input; Delete?: Input }];
    const description = engine.tables.updateTable(tableName(input), {
      ...(update.Create ? { createIndex: indexDefinition(update.Create) } : {}),
      ...(update.Delete ? { deleteIndex: update.Delete.IndexName as string } : {}),
      ...(input.AttributeDefinitions ? { attributeDefinitions: attributeDefinitions(input.AttributeDefinitions) } : {}),
    });
    return { TableDescription: wireTable(description) };
  },
  DescribeTable(engine, input) {
    return { Table: wireTable(engine.tables.describeTable(tableName(input))) };
  },
  DeleteTable(engine, input) {
    return { TableDescription: { ...wireTable(engine.tables.deleteTable(tableName(input))), TableStatus: 'DELETING' } };
  },
  ListTables(engine, input) {
    const limit = input.Limit === undefined ? 100 : Number(input.Limit);
    const start = input.ExclusiveStartTableName as string | undefined;
    const all = engine.tables.listTables().filter((name) => start === undefined || name > start);
    const names = all.slice(0, limit);
    return { TableNames: names, ...(all.length > names.length ? { LastEvaluatedTableName: names.at(-1) } : {}) };
  },
  PutItem(engine, input) {
    rejectLegacy(input);
    const out = engine.tables.putItem(tableName(input), item(input, 'Item'), writeOptions(input));
    return out.attributes ? { Attributes: out.attributes } : {};
  },
  GetItem(engine, input) {
    rejectLegacy(input);
    const found = engine.tables.getItem(tableName(input), item(input, 'Key'), {
      ...expressionInput(input),
      ...(input.ProjectionExpression ? { projectionExpression: input.ProjectionExpression as string } : {}),
    });
    return found ? { Item: found } : {};
  },
  UpdateItem(engine, input) {
    rejectLegacy(input);
    const out = engine.tables.updateItem(tableName(input), item(input, 'Key'), {
      ...writeOptions(input),
      ...(input.UpdateExpression ? { updateExpression: input.UpdateExpression as string } : {}),
    });
    return out.attributes ? { Attributes: out.attributes } : {};
  },
  DeleteItem(engine, input) {
    rejectLegacy(input);
    const out = engine.tables.deleteItem(tableName(input), item(input, 'Key'), writeOptions(input));
    return out.attributes ? { Attributes: out.attributes } : {};
  },
  Query(engine, input) {
    rejectLegacy(input);
    return wirePage(engine.tables.query(tableName(input), readOptions(input)), input);
  },
  Scan(engine, input) {
    rejectLegacy(input);
    if (input.Segment !== undefined && Number(input.Segment) !== 0) return { Items: [], Count: 0, ScannedCount: 0 };
    return wirePage(engine.tables.scan(tableName(input), readOptions(input)), input);
  },
  BatchWriteItem(engine, input) {
    const requests = (input.RequestItems ?? {}) as Record<
      string,
      Array<Record<string, { Item?: AttributeMap; Key?: AttributeMap }>>
    >;
    const total = Object.values(requests).reduce((n, list) => n + list.length, 0);
    if (total < 1 || total > 25) throw new ValidationError('Too many items requested for the BatchWriteItem call');
    for (const [table, list] of Object.entries(requests)) {
      for (const request of list) {
        if (request.PutRequest?.Item) engine.tables.putItem(table, request.PutRequest.Item);
        else if (request.DeleteRequest?.Key) engine.tables.deleteItem(table, request.DeleteRequest.Key);
        else throw new ValidationError('Each request must hold a PutRequest or a DeleteRequest');
      }
    }
    return { UnprocessedItems: {} };
  },
  BatchGetItem(engine, input) {
    const requests = (input.RequestItems ?? {}) as Record<string, Input & { Keys: AttributeMap[] }>;
    const responses: Record<string, AttributeMap[]> = {};
    for (const [table, request] of Object.entries(requests)) {
      if (request.Keys.length > 100) throw new ValidationError('Too many items requested for the BatchGetItem call');
      responses[table] = request.Keys.map((key) =>
        engine.tables.getItem(table, key, {
          ...expressionInput(request),
          ...(request.ProjectionExpression ? { projectionExpression: request.ProjectionExpression as string } : {}),
        }),
      ).filter((found): found is AttributeMap => found !== undefined);
    }
    return { Responses: responses, UnprocessedKeys: {} };
  },
  TransactWriteItems(engine, input) {
    const items = (input.TransactItems ?? []) as Array<Record<string, Input | undefined>>;
    engine.tables.transactWrite(
      items.map(transactWrite),
      input.ClientRequestToken === undefined ? undefined : String(input.ClientRequestToken),
    );
    return {};
  },
  TransactGetItems(engine, input) {
    const items = (input.TransactItems ?? []) as Array<{ Get?: Input }>;
    const found = engine.tables.transactGet(
      items.map(({ Get }) => {
        if (!Get) throw new ValidationError('Each TransactItems entry must hold a Get');
        return {
          tableName: tableName(Get),
          key: item(Get, 'Key'),
          ...expressionInput(Get),
          ...(Get.ProjectionExpression ? { projectionExpression: Get.ProjectionExpression as string } : {}),
        };
      }),
    );
    return { Responses: found.map((entry) => (entry ? { Item: entry } : {})) };
  },
  ExecuteStatement(engine, input) {
    const result = executeStatement(engine, input.Statement as string, statementOptions(input));
    return { Items: result.items, ...(result.nextToken ? { NextToken: result.nextToken } : {}) };
  },
  BatchExecuteStatement(engine, input) {
    const statements = (input.Statements ?? []) as Input[];
    if (statements.length < 1 || statements.length > MAX_BATCH_STATEMENTS) {
      throw new ValidationError(`A batch holds 1 to ${MAX_BATCH_STATEMENTS} statements`);
    }
    return {
      Responses: statements.map((statement) => {
        try {
          const result = executeStatement(engine, statement.Statement as string, statementOptions(statement));
          return { TableName: result.tableName, ...(result.items[0] ? { Item: result.items[0] } : {}) };
        } catch (err) {
          if (!(err instanceof LambdataError) || err.status >= 500) throw err;
          return { Error: { Code: batchErrorCode(err.code), Message: err.message } };
        }
      }),
    };
  },
  DescribeTimeToLive(engine, input) {
    const attribute = engine.tables.timeToLiveAttribute(tableName(input));
    return {
      TimeToLiveDescription: attribute
        ? { TimeToLiveStatus: 'ENABLED', AttributeName: attribute }
        : { TimeToLiveStatus: 'DISABLED' },
    };
  },
  UpdateTimeToLive(engine, input) {
    const spec = input.TimeToLiveSpecification as { Enabled: boolean; AttributeName: string };
    engine.tables.updateTimeToLive(tableName(input), { enabled: spec.Enabled, attributeName: spec.AttributeName });
    return { TimeToLiveSpecification: { Enabled: spec.Enabled, AttributeName: spec.AttributeName } };
  },
};

const MAX_BATCH_STATEMENTS = 25;

function statementOptions(input: Input): StatementOptions {
  return {
    ...(input.Parameters ? { parameters: input.Parameters as AttributeValue[] } : {}),
    ...(input.Limit !== undefined ? { limit: Number(input.Limit) } : {}),
    ...(input.NextToken ? { nextToken: input.NextToken as string } : {}),
    ...(input.ConsistentRead === true ? { consistentRead: true } : {}),
  };
}

/** BatchStatementError codes: the exception's name without `Exception` (ValidationError for validation). */
function batchErrorCode(code: string): string {
  return code === 'ValidationException' ? 'ValidationError' : code.replace(/Exception$/, '');
}

const TRANSACT_KINDS = ['Put', 'Update', 'Delete', 'ConditionCheck'] as const;

function transactWrite(entry: Record<string, Input | undefined>): TransactWrite {
  const kinds = TRANSACT_KINDS.filter((kind) => entry[kind] !== undefined);
  const [kind] = kinds;
  if (kinds.length !== 1 || !kind) {
    throw new ValidationError('Each TransactItems entry must hold exactly one of Put, Update, Delete, ConditionCheck');
  }
  const request = entry[kind] as Input;
  return {
    kind,
    tableName: tableName(request),
    ...(kind === 'Put' ? { item: item(request, 'Item') } : { key: item(request, 'Key') }),
    options: {
      ...expressionInput(request),
      ...(request.ConditionExpression ? { conditionExpression: request.ConditionExpression as string } : {}),
      ...(request.UpdateExpression ? { updateExpression: request.UpdateExpression as string } : {}),
    },
    ...(request.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? { returnOldOnFailure: true } : {}),
  };
}

function tableName(input: Input): string {
  if (typeof input.TableName !== 'string' || input.TableName === '') throw new ValidationError('TableName is required');
  return tableNameOf(input.TableName) ?? input.TableName;
}

function item(input: Input, key: string): AttributeMap {
  const value = input[key];
  if (!value || typeof value !== 'object') throw new ValidationError(`${key} is required`);
  return value as AttributeMap;
}

function writeOptions(input: Input): WriteOptions {
  return {
    ...expressionInput(input),
    ...(input.ConditionExpression ? { conditionExpression: input.ConditionExpression as string } : {}),
    ...(input.ReturnValues ? { returnValues: input.ReturnValues as ReturnValues } : {}),
  };
}

function readOptions(input: Input): ReadOptions {
  return {
    ...expressionInput(input),
    ...(input.IndexName !== undefined ? { indexName: input.IndexName as string } : {}),
    ...(input.ConsistentRead === true ? { consistentRead: true } : {}),
    ...(input.KeyConditionExpression ? { keyConditionExpression: input.KeyConditionExpression as string } : {}),
    ...(input.FilterExpression ? { filterExpression: input.FilterExpression as string } : {}),
    ...(input.ProjectionExpression ? { projectionExpression: input.ProjectionExpression as string } : {}),
    ...(input.ScanIndexForward === false ? { scanIndexForward: false } : {}),
    ...(input.Limit !== undefined ? { limit: Number(input.Limit) } : {}),
    ...(input.ExclusiveStartKey ? { exclusiveStartKey: input.ExclusiveStartKey as AttributeMap } : {}),
    ...(input.Select ? { select: input.Select as ReadOptions['select'] } : {}),
  };
}

function wirePage(page: ReturnType<Engine['tables']['scan']>, input: Input): Record<string, unknown> {
  return {
    ...(input.Select === 'COUNT' ? {} : { Items: page.items }),
    Count: page.count,
    ScannedCount: page.scannedCount,
    ...(page.lastEvaluatedKey ? { LastEvaluatedKey: page.lastEvaluatedKey } : {}),
  };
}

function rejectLegacy(input: Input): void {
  const legacy = LEGACY.find((name) => input[name] !== undefined);
  if (legacy) throw new ValidationError(`Legacy parameter ${legacy} is not supported; use expressions instead`);
}
