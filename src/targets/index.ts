export * from './errors.js';
export { lambdaPrices, parseReport } from './prices.js';
export { type TargetInput, Targets, validateTarget } from './targets.js';
export type * from './types.js';
export { ARCHITECTURES, LOCAL_TARGET } from './types.js';
