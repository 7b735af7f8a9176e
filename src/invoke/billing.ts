import type { EngineContext } from '../shared/context.js';
import { InvalidParameterValue } from '../shared/errors.js';
import type { Db } from '../state/db.js';
import {
  ASYNC_INSERT,
  type Booking,
  HOUR_MS,
  hourAdder,
  type LedgerFilter,
  ledgerTotals,
  migrateLedger,
  pruneLedgerStep,
  SYNC_INSERT,
} from './billing-ledger.js';
import { RowInserter } from './statements.js';
import { type BillingSummary, DEFAULT_PRICES, type InvocationRecord, OUTCOMES, type PriceTable } from './types.js';
import { type WriteBatch, writeBatchOf } from './write-batch.js';

export type { BillingSummary } from './types.js';

/** Which invocations a summary covers. */
export type BillingFilter = LedgerFilter;

/** What a write batch hands the billing sink: RequestResponse calls and async attempts. */
interface PendingBookings {
  calls: InvocationRecord[];
  attempts: InvocationRecord[];
}

/** Writes batches of bookings, and prunes old single bookings a step per batch (inside the batch's transaction). */
export class BillingSink {
  #db: Db;
  #insert: RowInserter;
  #insertSync: RowInserter;
  #addToHours: ((bookings: readonly Booking[]) => void) | undefined;
  /** The hour whose old single bookings are pruned (or being pruned, a step per batch). */
  #pruneHour = 0;
  #pruning = false;

  constructor(db: Db) {
    this.#db = db;
    this.#insert = new RowInserter(db, ASYNC_INSERT.sql, 8, ASYNC_INSERT.onConflict);
    this.#insertSync = new RowInserter(db, SYNC_INSERT, 7);
  }

  write({ calls, attempts }: PendingBookings): void {
    this.#prune(Date.now());
    if (calls.length > 0) {
      const values: Array<string | number> = [];
      for (const r of calls) values.push(r.requestId, ...bookingColumns(r));
      this.#insertSync.insert(values);
      this.#addToHours ??= hourAdder(this.#db);
      this.#addToHours(calls);
    }
    if (attempts.length > 0) {
      const values: Array<string | number> = [];
      for (const r of attempts) values.push(r.requestId, r.attempt, ...bookingColumns(r));
      this.#insert.insert(values);
    }
  }

  /** A step of pruning single bookings, while a prune started this hour has rows left. */
  #prune(now: number): void {
    const hour = Math.floor(now / HOUR_MS);
    if (hour !== this.#pruneHour) {
      this.#pruneHour = hour;
      this.#pruning = true;
    }
    if (this.#pruning) this.#pruning = !pruneLedgerStep(this.#db, now);
  }
}

/**
 * The billing ledger, with AWS's model: each invocation costs one request charge plus
 * memory (GB) × billed seconds × the GB-second price; duration rounds up to the granularity.
 */
export class Billing {
  readonly prices: PriceTable;
  #db: Db;
  #batch: WriteBatch;
  #pending: InvocationRecord[] = [];
  #pendingSync: InvocationRecord[] = [];

  /** Throws InvalidParameterValueException naming a bad price. */
  constructor(context: EngineContext, prices: Partial<PriceTable> = {}) {
    this.prices = { ...DEFAULT_PRICES, ...prices };
    for (const [key, value] of Object.entries(this.prices)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new InvalidParameterValue(`prices.${key}: ${value} must be a number >= 0`);
      }
    }
    if (this.prices.granularityMs < 1) throw new InvalidParameterValue('prices.granularityMs: must be >= 1');
    this.#db = context.db;
    this.#batch = writeBatchOf(context);
    if (!this.#batch.attached) {
      migrateLedger(this.#db);
      pruneLedgerStep(this.#db, Date.now());
    }
    this.#batch.register('billing', {
      take: () => {
        if (this.#pending.length === 0 && this.#pendingSync.length === 0) return undefined;
        const bookings: PendingBookings = { calls: this.#pendingSync, attempts: this.#pending };
        this.#pendingSync = [];
        this.#pending = [];
        return bookings;
      },
      sink: (db) => new BillingSink(db),
    });
  }

  /** Duration rounded up to the billing granularity (at least one unit). */
  billedDuration(durationMs: number): number {
    const unit = this.prices.granularityMs;
    return Math.max(unit, Math.ceil(durationMs / unit) * unit);
  }

  /** GB-seconds of one invocation and its cost: compute plus one request charge. */
  cost(memoryMb: number, billedMs: number): { gbSeconds: number; costUsd: number } {
    const gbSeconds = (memoryMb / 1024) * (billedMs / 1000);
    return { gbSeconds, costUsd: gbSeconds * this.prices.perGbSecond + this.prices.perMillionRequests / 1e6 };
  }

  /** Books one invocation (written with the invoke layer's next batch); throttled ones are free and not booked. */
  record(rec: InvocationRecord): void {
    if (rec.outcome === OUTCOMES.throttled) return;
    if (rec.invocationType === 'RequestResponse') this.#pendingSync.push(rec);
    else this.#pending.push(rec);
    this.#batch.schedule();
  }

  /** Totals over the booked invocations matching the filter, with a per-function breakdown. */
  summary(filter: BillingFilter = {}): BillingSummary {
    this.#batch.flush();
    const rows = ledgerTotals(this.#db, filter);
    const invocations = sum(rows, 'invocations');
    const gbSeconds = sum(rows, 'gbSeconds');
    const requestCostUsd = (invocations * this.prices.perMillionRequests) / 1e6;
    const computeCostUsd = gbSeconds * this.prices.perGbSecond;
    return {
      invocations,
      billedMs: sum(rows, 'billedMs'),
      gbSeconds,
      requestCostUsd,
      computeCostUsd,
      totalCostUsd: requestCostUsd + computeCostUsd,
      byFunction: rows,
    };
  }
}

function sum<T extends Record<K, number>, K extends keyof T>(rows: T[], key: K): number {
  return rows.reduce((total, row) => total + row[key], 0);
}

/** The columns both booking tables share, after their keys. */
function bookingColumns(r: InvocationRecord) {
  return [r.functionName, r.trigger, r.startedAt, r.billedDurationMs, r.gbSeconds, r.costUsd] as const;
}
