export { type AliasInput, type FunctionAlias, FunctionAliases, isAliasName } from './aliases.js';
export { Billing, type BillingFilter } from './billing.js';
export { BOOKKEEPING_FILE, openBookkeeping } from './bookkeeping.js';
export { ConcurrencyLimiter } from './concurrency.js';
export { type AsyncInvocation, Deliveries } from './deliveries.js';
export { type DestinationSender, destinationRecord, type GiveUp } from './destinations.js';
export { FunctionMetadata } from './function-metadata.js';
export {
  FunctionPolicies,
  type FunctionPolicy,
  type PermissionInput,
  type PolicyRequest,
  type PolicyStatement,
} from './function-policies.js';
export { type DeadLetters, InvocationService, type InvocationServiceOptions } from './invocation-service.js';
export { PACKAGE_LIMITS, PAYLOAD_LIMITS, payloadLimit } from './limits.js';
export { type LogFilter, LogStore } from './logs.js';
export type { RecordFilter } from './records.js';
export {
  type CreateFunctionInput,
  type FunctionCode,
  type FunctionConfigPatch,
  FunctionRegistry,
} from './registry.js';
export { endLine, reportLine, startLine, timeoutLine } from './report.js';
export type * from './types.js';
export { DEFAULT_PRICES, INVOCATION_TYPES, isInvocationType, OUTCOMES } from './types.js';
export { DEFAULTS } from './validation.js';
