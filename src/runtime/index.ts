export { EnvironmentPool, type PoolOptions } from './pool.js';
export { RUN_ERRORS } from './run-errors.js';
export type { SandboxInfo, SandboxLevel } from './sandbox.js';
export type * from './types.js';
