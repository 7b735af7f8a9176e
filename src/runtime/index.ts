export { EnvironmentPool, type PoolOptions } from './pool.js';
export type * from './types.js';
