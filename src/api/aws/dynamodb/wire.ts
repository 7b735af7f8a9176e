import type { TableDefinition, TableDescription } from '../../../storage/tables/index.js';

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
  };
}

/** A CreateTable request as the store's table definition. */
export function tableDefinition(input: Input): TableDefinition {
  const spec = input.StreamSpecification as { StreamEnabled?: boolean; StreamViewType?: string } | undefined;
  return {
    tableName: input.TableName as string,
    keySchema: ((input.KeySchema as Array<Record<string, string>>) ?? []).map((k) => ({
      attributeName: k.AttributeName as string,
      keyType: k.KeyType as 'HASH' | 'RANGE',
    })),
    attributeDefinitions: ((input.AttributeDefinitions as Array<Record<string, string>>) ?? []).map((a) => ({
      attributeName: a.AttributeName as string,
      attributeType: a.AttributeType as 'S' | 'N' | 'B',
    })),
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
