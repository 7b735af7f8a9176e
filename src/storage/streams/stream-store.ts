import type { BackgroundService, EngineContext } from '../../shared/context.js';

/** SHELL — to be replaced by the streams implementation. */
export class StreamStore implements BackgroundService {
  constructor(_context: EngineContext) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
