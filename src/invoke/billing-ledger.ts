/**
 * Where billing bookings are kept, so that a summary costs the same after a billion invocations as
 * after ten. Three tables:
 *  - `invoke_billing` (async attempts, one row per request id and attempt: a re-run after a crash is
 *    booked once) and `invoke_billing_sync` (RequestResponse calls, fresh ids, no key to check): one row
 *    per invocation, kept for DETAIL_MS;
 *  - `invoke_billing_hours`: totals per function, trigger and hour, never pruned. RequestResponse
 *    bookings are added to them by the batch that writes them, one row per hour and function (a
 *    trigger per row cost ~1.5 µs per invocation); async attempts by triggers, which also move an
 *    attempt booked again.
 * A summary adds whole hours from the totals, and reads single rows only for the part of an hour a
 * `since` cuts into. Rows older than DETAIL_MS are deleted a whole hour at a time; a `since` that
 * falls in an hour whose rows are gone counts that hour whole.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../state/db.js';
import { migrate, tableExists } from '../state/db.js';
import { whereClause } from './statements.js';
import type { BillingSummary } from './types.js';

export const HOUR_MS = 3_600_000;
/** How long single bookings are kept: a day, plus the hour being booked. */
export const DETAIL_MS = 24 * HOUR_MS;

const TABLES = `
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
CREATE INDEX IF NOT EXISTS invoke_billing_sync_time ON invoke_billing_sync (started_at);
CREATE TABLE IF NOT EXISTS invoke_billing_pruned (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  before INTEGER NOT NULL
);`;

const ADD_TO_HOUR = `ON CONFLICT DO UPDATE SET invocations = invocations + excluded.invocations,
    billed_ms = billed_ms + excluded.billed_ms, gb_seconds = gb_seconds + excluded.gb_seconds,
    cost_usd = cost_usd + excluded.cost_usd`;

const HOURS = `
CREATE TABLE IF NOT EXISTS invoke_billing_hours (
  function_name TEXT NOT NULL,
  trigger TEXT NOT NULL,
  hour INTEGER NOT NULL,
  invocations INTEGER NOT NULL,
  billed_ms INTEGER NOT NULL,
  gb_seconds REAL NOT NULL,
  cost_usd REAL NOT NULL,
  PRIMARY KEY (function_name, trigger, hour)
) WITHOUT ROWID;
${addTrigger('invoke_billing_hours_add', 'AFTER INSERT ON invoke_billing', 'NEW', 1)}
${addTrigger('invoke_billing_hours_remove', 'AFTER UPDATE ON invoke_billing', 'OLD', -1)}
${addTrigger('invoke_billing_hours_replace', 'AFTER UPDATE ON invoke_billing', 'NEW', 1)}`;

/** A trigger adding (`sign` 1) or taking back (-1) the `row` (NEW or OLD) in its hour's totals. */
function addTrigger(name: string, on: string, row: 'NEW' | 'OLD', sign: 1 | -1): string {
  const value = (column: string) => (sign === 1 ? `${row}.${column}` : `-${row}.${column}`);
  return `CREATE TRIGGER IF NOT EXISTS ${name} ${on} BEGIN
  INSERT INTO invoke_billing_hours VALUES (${row}.function_name, ${row}.trigger, ${row}.started_at / ${HOUR_MS},
    ${sign}, ${value('billed_ms')}, ${value('gb_seconds')}, ${value('cost_usd')})
  ${ADD_TO_HOUR};
END;`;
}

const LEDGER = `(SELECT function_name, trigger, started_at, billed_ms, gb_seconds, cost_usd FROM invoke_billing
  UNION ALL SELECT function_name, trigger, started_at, billed_ms, gb_seconds, cost_usd FROM invoke_billing_sync)`;

/** The SQL that books async attempts (a second booking of an attempt replaces the first). */
export const ASYNC_INSERT = {
  sql: 'INSERT INTO invoke_billing (request_id, attempt, function_name, trigger, started_at, billed_ms, gb_seconds, cost_usd)',
  onConflict: `ON CONFLICT (request_id, attempt) DO UPDATE SET function_name = excluded.function_name,
    trigger = excluded.trigger, started_at = excluded.started_at, billed_ms = excluded.billed_ms,
    gb_seconds = excluded.gb_seconds, cost_usd = excluded.cost_usd`,
};
/** The SQL that books RequestResponse calls. */
export const SYNC_INSERT =
  'INSERT INTO invoke_billing_sync (request_id, function_name, trigger, started_at, billed_ms, gb_seconds, cost_usd)';

/** One booking as the hourly totals see it. */
export interface Booking {
  functionName: string;
  trigger: string;
  startedAt: number;
  billedDurationMs: number;
  gbSeconds: number;
  costUsd: number;
}

/**
 * What adds RequestResponse bookings to their hours' totals (call it in the transaction that inserts
 * their rows; the database must have the ledger's tables).
 */
export function hourAdder(db: Db): (bookings: readonly Booking[]) => void {
  const add = db.prepare(`INSERT INTO invoke_billing_hours VALUES (?, ?, ?, ?, ?, ?, ?) ${ADD_TO_HOUR}`);
  return (bookings) => addToHours(add, bookings);
}

function addToHours(add: Statement, bookings: readonly Booking[]): void {
  const hours = new Map<string, [string, string, number, number, number, number, number]>();
  for (const b of bookings) {
    const hour = Math.floor(b.startedAt / HOUR_MS);
    const key = `${hour} ${b.trigger} ${b.functionName}`;
    const total = hours.get(key);
    if (!total) hours.set(key, [b.functionName, b.trigger, hour, 1, b.billedDurationMs, b.gbSeconds, b.costUsd]);
    else {
      total[3] += 1;
      total[4] += b.billedDurationMs;
      total[5] += b.gbSeconds;
      total[6] += b.costUsd;
    }
  }
  for (const total of hours.values()) add.run(...total);
}

/**
 * Creates the ledger's tables; a database from before the hourly totals gets them filled from its
 * rows, in the same transaction that creates them.
 */
export function migrateLedger(db: Db): void {
  migrate(db, TABLES);
  db.transaction(() => {
    const fresh = !tableExists(db, 'invoke_billing_hours');
    migrate(db, HOURS);
    if (!fresh) return;
    db.exec(`INSERT INTO invoke_billing_hours
      SELECT function_name, trigger, started_at / ${HOUR_MS}, COUNT(*), SUM(billed_ms), SUM(gb_seconds), SUM(cost_usd)
      FROM ${LEDGER} GROUP BY 1, 2, 3`);
  })();
}

/** Single bookings deleted per step of a prune: a step stays a few milliseconds of the event loop. */
const PRUNE_STEP = 2_000;

/**
 * One step of deleting the single bookings of the hours that ended DETAIL_MS before `now` (their
 * totals stay); true when none are left. The hours are marked pruned before their rows go, so a
 * summary counts them whole while the steps run.
 */
export function pruneLedgerStep(db: Db, now: number): boolean {
  const before = Math.floor((now - DETAIL_MS) / HOUR_MS) * HOUR_MS;
  return db.transaction(() => {
    db.prepare(
      'INSERT INTO invoke_billing_pruned (id, before) VALUES (1, ?) ON CONFLICT DO UPDATE SET before = MAX(before, excluded.before)',
    ).run(before);
    let deleted = 0;
    for (const table of ['invoke_billing_sync', 'invoke_billing']) {
      deleted += db
        .prepare(`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table} WHERE started_at < ? LIMIT ?)`)
        .run(before, PRUNE_STEP - deleted).changes;
      if (deleted >= PRUNE_STEP) return false;
    }
    return true;
  })();
}

/** Which bookings a summary covers. */
export interface LedgerFilter {
  functionName?: string;
  /** Epoch ms; only invocations started at or after it (counted from its hour's start once its rows are pruned). */
  since?: number;
  trigger?: string;
}

type FunctionTotals = BillingSummary['byFunction'][number];

/** Totals per function, by name, over the bookings `filter` selects. */
export function ledgerTotals(db: Db, filter: LedgerFilter): FunctionTotals[] {
  const { since } = filter;
  const pruned = (db.prepare('SELECT before FROM invoke_billing_pruned').get() as { before: number } | undefined)
    ?.before;
  // The first hour counted whole: the one `since` starts (or whose rows are gone), else the next.
  let firstHour: number | undefined;
  let partEnd: number | undefined;
  if (since !== undefined) {
    const hour = Math.floor(since / HOUR_MS);
    if (since === hour * HOUR_MS || (pruned !== undefined && since < pruned)) firstHour = hour;
    else {
      firstHour = hour + 1;
      partEnd = firstHour * HOUR_MS;
    }
  }
  const totals = sumBy(
    db,
    'SUM(invocations)',
    'invoke_billing_hours',
    whereClause([
      ['function_name = ?', filter.functionName],
      ['trigger = ?', filter.trigger],
      ['hour >= ?', firstHour],
    ]),
  );
  if (partEnd === undefined) return totals;
  const part = sumBy(
    db,
    'COUNT(*)',
    LEDGER,
    whereClause([
      ['function_name = ?', filter.functionName],
      ['trigger = ?', filter.trigger],
      ['started_at >= ?', since],
      ['started_at < ?', partEnd],
    ]),
  );
  return merge(totals, part);
}

/** Totals per function from `from` (the hours, or single rows), `invocations` being how to count them. */
function sumBy(db: Db, invocations: string, from: string, where: ReturnType<typeof whereClause>): FunctionTotals[] {
  return db
    .prepare(
      `SELECT function_name AS functionName, ${invocations} AS invocations, SUM(billed_ms) AS billedMs,
              SUM(gb_seconds) AS gbSeconds, SUM(cost_usd) AS totalCostUsd
       FROM ${from} ${where.clause} GROUP BY function_name HAVING ${invocations} > 0 ORDER BY function_name`,
    )
    .all(...where.args) as FunctionTotals[];
}

function merge(a: FunctionTotals[], b: FunctionTotals[]): FunctionTotals[] {
  const byName = new Map(a.map((row) => [row.functionName, { ...row }]));
  for (const row of b) {
    const into = byName.get(row.functionName);
    if (!into) byName.set(row.functionName, { ...row });
    else {
      into.invocations += row.invocations;
      into.billedMs += row.billedMs;
      into.gbSeconds += row.gbSeconds;
      into.totalCostUsd += row.totalCostUsd;
    }
  }
  return [...byName.values()].sort((x, y) => (x.functionName < y.functionName ? -1 : 1));
}
