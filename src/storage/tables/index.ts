/**
 * Tables: a DynamoDB subset on SQLite.
 *
 * For pollers (event source mappings) the surface is:
 * - `tables.readChanges(tableName, afterSequence, limit)` — durable, ordered changes of one table
 *   (`{ sequenceNumber, eventName, keys, newImage?, oldImage?, approximateCreationDateTime, sizeBytes }`);
 *   pass the last `sequenceNumber` read as `afterSequence`. Each table's stream is one "shard".
 * - `tables.changed` — a Topic fired with `{ tableName }` after each committed change.
 * - `tables.streamArn(tableName)` — `arn:aws:dynamodb:<region>:000000000000:table/<name>/stream/<label>`,
 *   undefined when the table has no stream; `tables.streamViewType(tableName)`.
 * Besides items: global/local secondary indexes (`createTable`, `updateTable`, `query`/`scan` with
 * `indexName`), `transactWrite`/`transactGet`, and TTL (`updateTimeToLive`; a sweep while started).
 * Items and keys are DynamoDB JSON (`{ id: { S: 'a' } }`, binary as base64 strings).
 */
export {
  ConditionalCheckFailed,
  DuplicateItem,
  IdempotentParameterMismatch,
  TableInUse,
  TransactionCanceled,
  ValidationError,
} from './errors.js';
export { fromPlain, toPlain } from './plain-json.js';
export { formatChangeSequence, TableStore } from './table-store.js';
export type * from './types.js';
