/** The request shapes of the DynamoDB and DynamoDB Streams operations, checked before an operation runs. */
import { ValidationError } from '../../../storage/tables/index.js';
import { SerializationFailed } from '../errors.js';
import { type Members, required, type Shape, type ShapeFailures } from '../request-shape.js';

// AttributeValues are checked (types, nesting depth) by the table store.
const ATTRIBUTES: Shape = { map: 'any' };
const NAMES: Shape = { map: 'string' };
const TABLE = { TableName: required('string') } as const;
const EXPRESSIONS = { ExpressionAttributeNames: NAMES, ExpressionAttributeValues: ATTRIBUTES } as const;
const WRITE = {
  ...TABLE,
  ...EXPRESSIONS,
  ConditionExpression: 'string',
  ReturnValues: 'string',
  ReturnValuesOnConditionCheckFailure: 'string',
  ReturnConsumedCapacity: 'string',
  ReturnItemCollectionMetrics: 'string',
} as const;
const KEY_SCHEMA: Shape = { list: { struct: { AttributeName: 'string', KeyType: 'string' } } };
const ATTRIBUTE_DEFINITIONS: Shape = { list: { struct: { AttributeName: 'string', AttributeType: 'string' } } };
const THROUGHPUT: Shape = { struct: { ReadCapacityUnits: 'integer', WriteCapacityUnits: 'integer' } };
const INDEX: Shape = {
  struct: {
    IndexName: required('string'),
    KeySchema: required(KEY_SCHEMA),
    Projection: required({ struct: { ProjectionType: 'string', NonKeyAttributes: { list: 'string' } } }),
    ProvisionedThroughput: THROUGHPUT,
  },
};
const TRANSACT_ITEM = {
  ...TABLE,
  ...EXPRESSIONS,
  ConditionExpression: 'string',
  ReturnValuesOnConditionCheckFailure: 'string',
} as const;
const READ = {
  ...TABLE,
  ...EXPRESSIONS,
  IndexName: 'string',
  FilterExpression: 'string',
  ProjectionExpression: 'string',
  ConsistentRead: 'boolean',
  Limit: 'integer',
  ExclusiveStartKey: ATTRIBUTES,
  Select: 'string',
  ReturnConsumedCapacity: 'string',
} as const;

/** DynamoDB's answer to a wrong-typed member or a body that is not an object, and to a missing one. */
export const dynamoDbFailures: ShapeFailures = {
  type: (message) => new SerializationFailed(message),
  missing: (message) => new ValidationError(message),
};

/** Request members of each DynamoDB operation (`DynamoDB_20120810.<Action>`). */
export const operationShapes: Readonly<Record<string, Members>> = {
  CreateTable: {
    ...TABLE,
    KeySchema: required(KEY_SCHEMA),
    AttributeDefinitions: required(ATTRIBUTE_DEFINITIONS),
    StreamSpecification: { struct: { StreamEnabled: 'boolean', StreamViewType: 'string' } },
    BillingMode: 'string',
    ProvisionedThroughput: THROUGHPUT,
    GlobalSecondaryIndexes: { list: INDEX },
    LocalSecondaryIndexes: { list: INDEX },
  },
  UpdateTable: {
    ...TABLE,
    AttributeDefinitions: ATTRIBUTE_DEFINITIONS,
    GlobalSecondaryIndexUpdates: {
      list: { struct: { Create: INDEX, Delete: { struct: { IndexName: required('string') } }, Update: 'object' } },
    },
    BillingMode: 'string',
    ProvisionedThroughput: THROUGHPUT,
  },
  DescribeTable: TABLE,
  DeleteTable: TABLE,
  DescribeTimeToLive: TABLE,
  UpdateTimeToLive: {
    ...TABLE,
    TimeToLiveSpecification: required({ struct: { Enabled: required('boolean'), AttributeName: required('string') } }),
  },
  ListTables: { ExclusiveStartTableName: 'string', Limit: 'integer' },
  PutItem: { ...WRITE, Item: required(ATTRIBUTES) },
  GetItem: {
    ...TABLE,
    Key: required(ATTRIBUTES),
    ExpressionAttributeNames: NAMES,
    ProjectionExpression: 'string',
    ConsistentRead: 'boolean',
  },
  UpdateItem: { ...WRITE, Key: required(ATTRIBUTES), UpdateExpression: 'string' },
  DeleteItem: { ...WRITE, Key: required(ATTRIBUTES) },
  Query: { ...READ, KeyConditionExpression: 'string', ScanIndexForward: 'boolean' },
  Scan: { ...READ, Segment: 'integer', TotalSegments: 'integer' },
  BatchWriteItem: {
    RequestItems: required({
      map: {
        list: {
          struct: { PutRequest: { struct: { Item: ATTRIBUTES } }, DeleteRequest: { struct: { Key: ATTRIBUTES } } },
        },
      },
    }),
  },
  TransactWriteItems: {
    TransactItems: required({
      list: {
        struct: {
          Put: { struct: { ...TRANSACT_ITEM, Item: required(ATTRIBUTES) } },
          Update: { struct: { ...TRANSACT_ITEM, Key: required(ATTRIBUTES), UpdateExpression: required('string') } },
          Delete: { struct: { ...TRANSACT_ITEM, Key: required(ATTRIBUTES) } },
          ConditionCheck: {
            struct: { ...TRANSACT_ITEM, Key: required(ATTRIBUTES), ConditionExpression: required('string') },
          },
        },
      },
    }),
    ClientRequestToken: 'string',
    ReturnConsumedCapacity: 'string',
    ReturnItemCollectionMetrics: 'string',
  },
  TransactGetItems: {
    TransactItems: required({
      list: {
        struct: {
          Get: {
            struct: {
              ...TABLE,
              Key: required(ATTRIBUTES),
              ExpressionAttributeNames: NAMES,
              ProjectionExpression: 'string',
            },
          },
        },
      },
    }),
    ReturnConsumedCapacity: 'string',
  },
  ExecuteStatement: {
    Statement: required('string'),
    Parameters: { list: ATTRIBUTES },
    ConsistentRead: 'boolean',
    NextToken: 'string',
    Limit: 'integer',
    ReturnConsumedCapacity: 'string',
    ReturnValuesOnConditionCheckFailure: 'string',
  },
  BatchExecuteStatement: {
    Statements: required({
      list: { struct: { Statement: required('string'), Parameters: { list: ATTRIBUTES }, ConsistentRead: 'boolean' } },
    }),
    ReturnConsumedCapacity: 'string',
  },
  BatchGetItem: {
    RequestItems: required({
      map: {
        struct: {
          Keys: required({ list: ATTRIBUTES }),
          ExpressionAttributeNames: NAMES,
          ProjectionExpression: 'string',
          ConsistentRead: 'boolean',
        },
      },
    }),
  },
};

/** Request members of each DynamoDB Streams operation (`DynamoDBStreams_20120810.<Action>`). */
export const streamOperationShapes: Readonly<Record<string, Members>> = {
  ListStreams: { TableName: 'string', Limit: 'integer', ExclusiveStartStreamArn: 'string' },
  DescribeStream: { StreamArn: required('string'), Limit: 'integer', ExclusiveStartShardId: 'string' },
  GetShardIterator: {
    StreamArn: required('string'),
    ShardId: required('string'),
    ShardIteratorType: required('string'),
    SequenceNumber: 'string',
  },
  GetRecords: { ShardIterator: required('string'), Limit: 'integer' },
};
