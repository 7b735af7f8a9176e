export { Billing, type BillingFilter } from './billing.js';
export { ConcurrencyLimiter } from './concurrency.js';
export { type AsyncInvocation, Deliveries } from './deliveries.js';
export { type DestinationSender, destinationRecord } from './destinations.js';
export {
  type DeadLetters,
  InvocationService,
  type InvocationServiceOptions,
  PAYLOAD_LIMITS,
} from './invocation-service.js';
export { type LogFilter, LogStore } from './logs.js';
export { PACKAGE_LIMITS } from './package.js';
export type { RecordFilter } from './records.js';
export {
  type CreateFunctionInput,
  type FunctionCode,
  type FunctionConfigPatch,
  FunctionRegistry,
  parseFunctionRef,
} from './registry.js';
export { endLine, reportLine, startLine, timeoutLine } from './report.js';
export type * from './types.js';
export { DEFAULT_PRICES, OUTCOMES } from './types.js';
export { DEFAULTS, RUNTIMES } from './validation.js';
