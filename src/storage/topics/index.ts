/**
 * Topics: SNS topics and subscriptions on SQLite. Delivery (fan-out to functions, queues and HTTP
 * endpoints) lives in events/; this part keeps the state and its rules, and the filter-policy language.
 */
export { scopeOf } from './attributes.js';
export * from './errors.js';
export { compileFilterPolicy, type FilterPolicy, type FilterPolicyScope } from './filter-policy.js';
export { TopicStore } from './topic-store.js';
export * from './types.js';
