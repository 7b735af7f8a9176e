export { Billing } from './billing.js';
export { InvocationService } from './invocation-service.js';
export { LogStore } from './logs.js';
export { FunctionRegistry } from './registry.js';
export type * from './types.js';
export { DEFAULT_PRICES, OUTCOMES } from './types.js';
