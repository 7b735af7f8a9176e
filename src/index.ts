/** lambdata as a library: `createEngine({ dataDir })` and the server around it. */

export { type RunningServer, type ServerOptions, startServer } from './api/index.js';
export { createEngine, type Engine, type EngineOptions } from './engine.js';
export type * from './invoke/types.js';
export * from './shared/errors.js';
