import type { EngineContext } from '../shared/context.js';
import type { PriceTable } from './types.js';

/** SHELL — billing ledger. */
export class Billing {
  constructor(_context: EngineContext, _prices?: Partial<PriceTable>) {}
}
