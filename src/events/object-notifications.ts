import type { Invoker } from '../invoke/index.js';
import type { BackgroundService, EngineContext } from '../shared/context.js';
import type { ObjectStore } from '../storage/objects/index.js';

/** SHELL — S3 event notifications delivered as async invocations. */
export class ObjectNotifications implements BackgroundService {
  constructor(_context: EngineContext, _options: { objects: ObjectStore; invoker: Invoker }) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
