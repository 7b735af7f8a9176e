import type {
  IndexDefinition,
  IndexDescription,
  TableDefinition,
  TableDescription,
} from '../../../storage/tables/index.js';

/** A DynamoDB request body. */
export type Input = Record<string, unknown>;

/** A table description in the wire shape (timestamps in epoch seconds). */
export function wireTable(d: TableDescription): Record<string, unknown> {
  return {
    TableName: d.tableName,
    TableArn: d.tableArn,
    TableStatus: d.tableStatus,
    CreationDateTime: d.creationDateTime / 1000,
    KeySchema: d.keySchema.map((k) => ({ AttributeName: k.attributeName, KeyType: k.keyType })),
    AttributeDefinitions: d.attributeDefinitions.map((a) => ({
      AttributeName: a.attributeName,
      AttributeType: a.attributeType,
    })),
    ItemCount: d.itemCount,
    TableSizeBytes: d.tableSizeBytes,
    ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0, NumberOfDecreasesToday: 0 },
    BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
    ...(d.streamSpecification
      ? {
          StreamSpecification: {
            StreamEnabled: d.streamSpecification.streamEnabled,
            ...(d.streamSpecification.streamViewType ? { StreamViewType: d.streamSpecification.streamViewType } : {}),
          },
        }
      : {}),
    ...(d.latestStreamArn ? { LatestStreamArn: d.latestStreamArn, LatestStreamLabel: d.latestStreamLabel } : {}),
    ...(d.globalSecondaryIndexes
      ? {
          GlobalSecondaryIndexes: d.globalSecondaryIndexes.map((index) => ({
            ...wireIndex(index),
            IndexStatus: 'ACTIVE',
            ProvisionedThroughput: { ReadCapacityUnits: 0, WriteCapacityUnits: 0, NumberOfDecreasesToday: 0 },
          })),
        }
      : {}),
    ...(d.localSecondaryIndexes ? { LocalSecondaryIndexes: d.localSecondaryIndexes.map(wireIndex) } : {}),
  };
}

/** A secondary index request member (`GlobalSecondaryIndexes[]`, `GlobalSecondaryIndexUpdates[].Create`) as the store's index definition. */
export function indexDefinition(input: Input): IndexDefinition {
  const projection = (input.Projection ?? {}) as { ProjectionType?: string; NonKeyAttributes?: string[] };
  return {
    indexName: input.IndexName as string,
    keySchema: keySchema(input.KeySchema),
    projection: {
      projectionType: (projection.ProjectionType ?? 'ALL') as IndexDefinition['projection']['projectionType'],
      ...(projection.NonKeyAttributes ? { nonKeyAttributes: projection.NonKeyAttributes } : {}),
    },
  };
}

/** AttributeDefinitions in the store's shape. */
export function attributeDefinitions(list: unknown): TableDefinition['attributeDefinitions'] {
  return ((list as Array<Record<string, string>>) ?? []).map((a) => ({
    attributeName: a.AttributeName as string,
    attributeType: a.AttributeType as 'S' | 'N' | 'B',
  }));
}

function wireIndex(index: IndexDescription): Record<string, unknown> {
  return {
    IndexName: index.indexName,
    KeySchema: index.keySchema.map((k) => ({ AttributeName: k.attributeName, KeyType: k.keyType })),
    Projection: {
      ProjectionType: index.projection.projectionType,
      ...(index.projection.nonKeyAttributes ? { NonKeyAttributes: index.projection.nonKeyAttributes } : {}),
    },
    IndexSizeBytes: index.indexSizeBytes,
    ItemCount: index.itemCount,
    IndexArn: index.indexArn,
  };
}

function keySchema(list: unknown): TableDefinition['keySchema'] {
  return ((list as Array<Record<string, string>>) ?? []).map((k) => ({
    attributeName: k.AttributeName as string,
    keyType: k.KeyType as 'HASH' | 'RANGE',
  }));
}

/** A CreateTable request as the store's table definition. */
export function tableDefinition(input: Input): TableDefinition {
  const spec = input.StreamSpecification as { StreamEnabled?: boolean; StreamViewType?: string } | undefined;
  return {
    tableName: input.TableName as string,
    keySchema: keySchema(input.KeySchema),
    attributeDefinitions: attributeDefinitions(input.AttributeDefinitions),
    ...(Array.isArray(input.GlobalSecondaryIndexes)
      ? { globalSecondaryIndexes: (input.GlobalSecondaryIndexes as Input[]).map(indexDefinition) }
      : {}),
    ...(Array.isArray(input.LocalSecondaryIndexes)
      ? { localSecondaryIndexes: (input.LocalSecondaryIndexes as Input[]).map(indexDefinition) }
      : {}),
    ...(spec
      ? {
          streamSpecification: {
            streamEnabled: spec.StreamEnabled === true,
            ...(spec.StreamViewType ? { streamViewType: spec.StreamViewType as 'KEYS_ONLY' } : {}),
          },
        }
      : {}),
  };
}

/** The expression placeholders of a request. */
export function expressionInput(input: Input): {
  expressionAttributeNames?: Record<string, string>;
  expressionAttributeValues?: Record<string, never>;
} {
  return {
    ...(input.ExpressionAttributeNames
      ? { expressionAttributeNames: input.ExpressionAttributeNames as Record<string, string> }
      : {}),
    ...(input.ExpressionAttributeValues
      ? { expressionAttributeValues: input.ExpressionAttributeValues as Record<string, never> }
      : {}),
  };
}
