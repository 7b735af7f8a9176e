export { EnvironmentPool, type PoolOptions } from './pool.js';
export { RUN_ERRORS } from './run-errors.js';
export {
  findPython,
  type Interpreter,
  RUNTIME_FAMILIES,
  RUNTIME_IDS,
  type RuntimeFamily,
  type RuntimeLaunch,
  runtimeFamily,
  speaksRuntimeApi,
} from './runtimes.js';
export type { SandboxInfo, SandboxLevel } from './sandbox.js';
export { childNiceness, raiseServerPriority, SERVER_PRIORITY_BOOST } from './server-priority.js';
export type * from './types.js';
