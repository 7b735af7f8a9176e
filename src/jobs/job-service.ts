import type { Billing, FunctionRegistry, Invoker } from '../invoke/index.js';
import type { BackgroundService, EngineContext } from '../shared/context.js';
import type { ObjectStore } from '../storage/objects/index.js';

export interface JobServiceOptions {
  invoker: Invoker;
  objects: ObjectStore;
  functions: FunctionRegistry;
  billing: Billing;
}

/** SHELL — map-reduce and scatter-gather jobs. */
export class JobService implements BackgroundService {
  constructor(_context: EngineContext, _options: JobServiceOptions) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
