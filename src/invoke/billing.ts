import type { EngineContext } from '../shared/context.js';
import { InvalidParameterValue } from '../shared/errors.js';
import type { Db } from '../state/db.js';
import { migrate } from '../state/db.js';
import { RowInserter, whereClause } from './statements.js';
import { type BillingSummary, DEFAULT_PRICES, type InvocationRecord, OUTCOMES, type PriceTable } from './types.js';
import { type WriteBatch, writeBatchOf } from './write-batch.js';

export type { BillingSummary } from './types.js';

/** Which invocations a summary covers. */
export interface BillingFilter {
  functionName?: string;
  /** Epoch ms; only invocations started at or after it. */
  since?: number;
  trigger?: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS invoke_billing (
  request_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  function_name TEXT NOT NULL,
  trigger TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  billed_ms INTEGER NOT NULL,
  gb_seconds REAL NOT NULL,
  cost_usd REAL NOT NULL,
  PRIMARY KEY (request_id, attempt)
);
CREATE INDEX IF NOT EXISTS invoke_billing_time ON invoke_billing (started_at);
CREATE TABLE IF NOT EXISTS invoke_billing_sync (
  request_id TEXT NOT NULL,
  function_name TEXT NOT NULL,
  trigger TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  billed_ms INTEGER NOT NULL,
  gb_seconds REAL NOT NULL,
  cost_usd REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS invoke_billing_sync_time ON invoke_billing_sync (started_at);`;
// Two tables, one ledger: an async attempt can be booked twice (it runs again after a crash) and
// the (request_id, attempt) key keeps it once; a RequestResponse call has a fresh request id, so its
// rows need no unique key — a random-key B-tree write per row that grew from ~14 to ~25 µs as the
// table reached 300k rows. summary() reads both.

const LEDGER = `(SELECT function_name, trigger, started_at, billed_ms, gb_seconds, cost_usd FROM invoke_billing
  UNION ALL SELECT function_name, trigger, started_at, billed_ms, gb_seconds, cost_usd FROM invoke_billing_sync)`;

/**
 * The billing ledger, with AWS's model: each invocation costs one request charge plus
 * memory (GB) × billed seconds × the GB-second price; duration rounds up to the granularity.
 */
export class Billing {
  readonly prices: PriceTable;
  #db: Db;
  #insert: RowInserter;
  #insertSync: RowInserter;
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
    migrate(this.#db, SCHEMA);
    this.#insert = new RowInserter(
      this.#db,
      'INSERT OR REPLACE INTO invoke_billing (request_id, attempt, function_name, trigger, started_at, billed_ms, gb_seconds, cost_usd)',
      8,
    );
    this.#insertSync = new RowInserter(
      this.#db,
      'INSERT INTO invoke_billing_sync (request_id, function_name, trigger, started_at, billed_ms, gb_seconds, cost_usd)',
      7,
    );
    this.#batch = writeBatchOf(context);
    this.#batch.register(this);
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

  /** Part of the write batch: inserts the buffered bookings. */
  writePending(): void {
    const calls = this.#pendingSync;
    const attempts = this.#pending;
    this.#pendingSync = [];
    this.#pending = [];
    if (calls.length > 0) {
      const values: Array<string | number> = [];
      for (const r of calls) values.push(r.requestId, ...bookingColumns(r));
      this.#insertSync.insert(values);
    }
    if (attempts.length > 0) {
      const values: Array<string | number> = [];
      for (const r of attempts) values.push(r.requestId, r.attempt, ...bookingColumns(r));
      this.#insert.insert(values);
    }
  }

  /** Part of the write batch: forgets the buffered bookings. */
  dropPending(): void {
    this.#pending = [];
    this.#pendingSync = [];
  }

  /** Totals over the booked invocations matching the filter, with a per-function breakdown. */
  summary(filter: BillingFilter = {}): BillingSummary {
    this.#batch.flush();
    const { clause, args } = whereClause([
      ['function_name = ?', filter.functionName],
      ['started_at >= ?', filter.since],
      ['trigger = ?', filter.trigger],
    ]);
    const rows = this.#db
      .prepare(
        `SELECT function_name AS functionName, COUNT(*) AS invocations, SUM(billed_ms) AS billedMs,
                SUM(gb_seconds) AS gbSeconds, SUM(cost_usd) AS totalCostUsd
         FROM ${LEDGER} ${clause} GROUP BY function_name ORDER BY function_name`,
      )
      .all(...args) as BillingSummary['byFunction'];
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
