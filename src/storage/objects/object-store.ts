import type { BackgroundService, EngineContext } from '../../shared/context.js';

/** SHELL — to be replaced by the objects implementation. */
export class ObjectStore implements BackgroundService {
  constructor(_context: EngineContext) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
