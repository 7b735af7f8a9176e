import type { BackgroundService, EngineContext } from '../../shared/context.js';

/** SHELL — to be replaced by the queues implementation. */
export class QueueStore implements BackgroundService {
  constructor(_context: EngineContext) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
