/** A DynamoDB attribute value in DynamoDB JSON (binary values are base64 strings). */
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] }
  | { L: AttributeValue[] }
  | { M: AttributeMap };

/** An item or key: attribute name → value. */
export type AttributeMap = Record<string, AttributeValue>;

export type KeyType = 'HASH' | 'RANGE';
export type ScalarType = 'S' | 'N' | 'B';
export type StreamViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';
export type ReturnValues = 'NONE' | 'ALL_OLD' | 'UPDATED_OLD' | 'ALL_NEW' | 'UPDATED_NEW';

/** Which attributes a secondary index holds besides the table's and the index's keys. */
export interface Projection {
  projectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE';
  nonKeyAttributes?: string[];
}

/** A global or local secondary index as `createTable` takes it. */
export interface IndexDefinition {
  indexName: string;
  keySchema: Array<{ attributeName: string; keyType: KeyType }>;
  projection: Projection;
}

/** What `createTable` takes. */
export interface TableDefinition {
  tableName: string;
  keySchema: Array<{ attributeName: string; keyType: KeyType }>;
  attributeDefinitions: Array<{ attributeName: string; attributeType: ScalarType }>;
  streamSpecification?: { streamEnabled: boolean; streamViewType?: StreamViewType };
  globalSecondaryIndexes?: IndexDefinition[];
  localSecondaryIndexes?: IndexDefinition[];
  /** The TTL attribute (epoch seconds) when TTL is enabled. */
  timeToLiveAttribute?: string;
}

/** A secondary index as `describeTable` shows it. */
export interface IndexDescription extends IndexDefinition {
  indexArn: string;
  itemCount: number;
  indexSizeBytes: number;
}

/** What `describeTable` returns. */
export interface TableDescription
  extends Omit<TableDefinition, 'globalSecondaryIndexes' | 'localSecondaryIndexes' | 'timeToLiveAttribute'> {
  tableArn: string;
  tableStatus: 'ACTIVE';
  /** Epoch milliseconds. */
  creationDateTime: number;
  itemCount: number;
  tableSizeBytes: number;
  latestStreamArn?: string;
  latestStreamLabel?: string;
  globalSecondaryIndexes?: IndexDescription[];
  localSecondaryIndexes?: IndexDescription[];
}

/** Placeholders of an expression (`#name` → attribute name, `:value` → value). */
export interface ExpressionInput {
  expressionAttributeNames?: Record<string, string>;
  expressionAttributeValues?: AttributeMap;
}

/** How `updateTable` changes a table's global secondary indexes (one change per call, as DynamoDB allows). */
export interface TableUpdate {
  attributeDefinitions?: TableDefinition['attributeDefinitions'];
  createIndex?: IndexDefinition;
  deleteIndex?: string;
}

/** Options of a conditional write. */
export interface WriteOptions extends ExpressionInput {
  conditionExpression?: string;
  returnValues?: ReturnValues;
}

/** Options of `query` and `scan`. */
export interface ReadOptions extends ExpressionInput {
  indexName?: string;
  consistentRead?: boolean;
  keyConditionExpression?: string;
  filterExpression?: string;
  projectionExpression?: string;
  scanIndexForward?: boolean;
  limit?: number;
  exclusiveStartKey?: AttributeMap;
  select?: 'ALL_ATTRIBUTES' | 'ALL_PROJECTED_ATTRIBUTES' | 'COUNT' | 'SPECIFIC_ATTRIBUTES';
}

/** A page of `query` or `scan`. */
export interface ReadPage {
  items: AttributeMap[];
  count: number;
  scannedCount: number;
  lastEvaluatedKey?: AttributeMap;
}

/** One change of a table's stream. */
export interface TableChange {
  tableName: string;
  /** Fixed-length decimal string: string order is numeric order. */
  sequenceNumber: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  keys: AttributeMap;
  newImage?: AttributeMap;
  oldImage?: AttributeMap;
  /** Epoch milliseconds. */
  approximateCreationDateTime: number;
  sizeBytes: number;
  /** Set when DynamoDB itself made the change (a TTL expiry), as AWS reports it. */
  userIdentity?: { type: 'Service'; principalId: 'dynamodb.amazonaws.com' };
}

/** One item of `transactWrite`: Put takes `item`, the others `key`; Update takes `updateExpression`. */
export interface TransactWrite {
  kind: 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
  tableName: string;
  item?: AttributeMap;
  key?: AttributeMap;
  options: WriteOptions & { updateExpression?: string };
  /** ReturnValuesOnConditionCheckFailure ALL_OLD: a failed condition reports the existing item. */
  returnOldOnFailure?: boolean;
}

/** One item of `transactGet`. */
export interface TransactGet extends ExpressionInput {
  tableName: string;
  key: AttributeMap;
  projectionExpression?: string;
}

/** Why one item of a cancelled transaction failed: `None` for the items that did not. */
export interface CancellationReason {
  code: 'None' | 'ConditionalCheckFailed';
  message?: string;
  /** The existing item, when the request asked for ALL_OLD on a failed condition. */
  item?: Record<string, unknown>;
}
