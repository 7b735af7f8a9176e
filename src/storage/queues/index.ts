/**
 * Queues: SQS semantics on SQLite. Other parts use `queues.sendByArn(arn, body)` (destinations,
 * dead-letter targets), `send`/`receive`/`deleteMessage`/`changeVisibility` (the queue poller),
 * `depth(name)` and `sent` (a Topic fired on every send, to wake pollers).
 */
export { parseRedrivePolicy, type RedrivePolicy } from './attributes.js';
export * from './errors.js';
export { md5OfBody, md5OfMessageAttributes } from './md5.js';
export { QueueStore, type QueueStoreOptions } from './queue-store.js';
export type * from './types.js';
