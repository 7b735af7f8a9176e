import type { FunctionRegistry, Invoker } from '../invoke/index.js';
import type { BackgroundService, EngineContext } from '../shared/context.js';
import type { QueueStore } from '../storage/queues/index.js';
import type { StreamStore } from '../storage/streams/index.js';
import type { TableStore } from '../storage/tables/index.js';

export interface EventSourceMappingsOptions {
  invoker: Invoker;
  functions: FunctionRegistry;
  streams: StreamStore;
  tables: TableStore;
  queues: QueueStore;
}

/** SHELL — pollers feeding functions from streams, table streams and queues. */
export class EventSourceMappings implements BackgroundService {
  constructor(_context: EngineContext, _options: EventSourceMappingsOptions) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
