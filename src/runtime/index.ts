export { EnvironmentPool, type PoolOptions } from './pool.js';
export type { SandboxInfo, SandboxLevel } from './sandbox.js';
export type * from './types.js';
