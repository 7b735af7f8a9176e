export * from './arn.js';
export type * from './context.js';
export * from './errors.js';
export * from './events.js';
export * from './ids.js';
export * from './log.js';
export * from './paths.js';
