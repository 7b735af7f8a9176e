import type { EnvironmentPool } from '../runtime/index.js';
import type { BackgroundService, EngineContext } from '../shared/context.js';
import type { QueueStore } from '../storage/queues/index.js';
import type { Billing } from './billing.js';
import type { LogStore } from './logs.js';
import type { FunctionRegistry } from './registry.js';
import type { InvokeRequest, InvokeResult, Invoker } from './types.js';

export interface InvocationServiceOptions {
  functions: FunctionRegistry;
  runtime: EnvironmentPool;
  logs: LogStore;
  billing: Billing;
  queues: QueueStore;
  accountConcurrency: number;
}

/** SHELL — sync/async/DryRun invocation, async queue, retries, destinations, DLQ, concurrency. */
export class InvocationService implements Invoker, BackgroundService {
  constructor(_context: EngineContext, _options: InvocationServiceOptions) {}
  async invoke(_request: InvokeRequest): Promise<InvokeResult> {
    throw new Error('invoke not implemented yet');
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
