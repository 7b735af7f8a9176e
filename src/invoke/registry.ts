import type { EngineContext } from '../shared/context.js';

/** SHELL — function registry (create/update/get/list/delete/publish). */
export class FunctionRegistry {
  constructor(_context: EngineContext, _options: { onChange: (functionName: string) => void }) {}
}
