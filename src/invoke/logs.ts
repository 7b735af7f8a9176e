import type { EngineContext } from '../shared/context.js';

/** SHELL — per-function log store. */
export class LogStore {
  constructor(_context: EngineContext) {}
}
