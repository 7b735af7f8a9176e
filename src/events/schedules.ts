import type { Invoker } from '../invoke/index.js';
import type { BackgroundService, EngineContext } from '../shared/context.js';

/** SHELL — rate()/cron() schedules invoking functions with EventBridge scheduled events. */
export class Schedules implements BackgroundService {
  constructor(_context: EngineContext, _options: { invoker: Invoker }) {}
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}
