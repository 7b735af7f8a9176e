import type { EngineContext } from '../shared/context.js';
import type { RunRequest, RunResult, Runtime, RuntimeStats } from './types.js';

/** Options of the environment pool. */
export interface PoolOptions {
  /** Blank runtimes kept pre-started (default 2). */
  prestart?: number;
  /** Idle time before a warm environment is reaped (default 5 minutes). */
  idleMs?: number;
}

/** SHELL — to be replaced by the runtime implementation. */
export class EnvironmentPool implements Runtime {
  constructor(_context: EngineContext, _options: PoolOptions = {}) {}
  async run(_request: RunRequest): Promise<RunResult> {
    throw new Error('runtime not implemented yet');
  }
  retire(_functionName: string): void {}
  stats(): RuntimeStats {
    return { environments: 0, busy: 0, idle: 0, prestarted: 0 };
  }
  async close(): Promise<void> {}
}
