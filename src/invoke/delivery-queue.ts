import type { Db } from '../state/db.js';
import { migrate, tableExists } from '../state/db.js';
import { statementCache } from './statements.js';
import type { DeadLetter } from './types.js';

/**
 * What a delivery does: `invoke` runs a function asynchronously (the function's retry and
 * destination settings apply); `send` hands a record to a destination that is not a function
 * (a queue or a topic); `dead-letter` sends a discarded event to its function's dead-letter queue
 * or topic (DeadLetterConfig), the event as the body and its letter's request id and error as
 * message attributes.
 */
export type DeliveryKind = 'invoke' | 'send' | 'dead-letter';

/** One delivery waiting (or running) in the durable queue. */
export interface Delivery {
  /** The request id of an invocation; the record id of a send. */
  id: string;
  kind: DeliveryKind;
  /** The function name (invoke) or the destination ARN (send). */
  target: string;
  /** The function version (invoke). */
  qualifier?: string;
  payload: string;
  /** What caused it: 'api', 's3', 'destination' … */
  trigger: string;
  clientContext?: string;
  /** A send that cannot be delivered keeps this letter (the async event whose failure it reports; a dead-letter send's own). */
  deadLetter?: DeadLetter;
  enqueuedAt: number;
  /** Finished attempts (throttles do not count). */
  attempts: number;
  nextAt: number;
}

/** What a producer puts in the queue. */
export type NewDelivery = Omit<Delivery, 'attempts' | 'nextAt'>;

interface Row {
  id: string;
  kind: DeliveryKind;
  target: string;
  qualifier: string | null;
  payload: string;
  trigger: string;
  client_context: string | null;
  dead_letter: string | null;
  enqueued_at: number;
  attempts: number;
  next_at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  target TEXT NOT NULL,
  qualifier TEXT,
  payload TEXT NOT NULL,
  trigger TEXT NOT NULL,
  client_context TEXT,
  dead_letter TEXT,
  enqueued_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  -- Unused: waits for capacity are kept in memory now. Kept so that older data dirs open unchanged.
  throttled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_at, seq);
CREATE INDEX IF NOT EXISTS deliveries_target_due ON deliveries (target, state, next_at, seq);
DROP INDEX IF EXISTS deliveries_target;
DROP INDEX IF EXISTS deliveries_throttled;`;

/** The async-invoke queue of earlier versions; its rows move into `deliveries` once. */
const LEGACY_ASYNC_EVENTS = `
INSERT INTO deliveries (id, kind, target, qualifier, payload, trigger, client_context, enqueued_at, attempts, next_at, throttled)
  SELECT id, 'invoke', function_name, qualifier, payload, trigger, client_context, enqueued_at, attempts, next_at, throttled
  FROM invoke_async_events ORDER BY enqueued_at;
DROP TABLE invoke_async_events;`;

/**
 * The one durable delivery queue in SQLite. A delivery is committed by `enqueue` (inside the
 * producer's own transaction when it has one) before the producer acknowledges anything; a
 * `running` delivery left by a crash is made pending again by `recover`. Due deliveries come out
 * in commit order, overall or per target (a function, or a destination ARN), so that one target
 * waiting for capacity holds up no other.
 */
export class DeliveryQueue {
  #db: Db;
  #sql: ReturnType<typeof statementCache>;
  /**
   * Every target that may have deliveries: added on enqueue (a rolled-back one only costs a query),
   * dropped by `forgetIfEmpty`.
   */
  #targets = new Set<string>();
  #finished: string[] = [];

  constructor(db: Db) {
    this.#db = db;
    migrate(db, SCHEMA);
    this.#sql = statementCache(db);
    if (tableExists(db, 'invoke_async_events')) db.transaction(() => db.exec(LEGACY_ASYNC_EVENTS))();
    for (const row of db.prepare('SELECT DISTINCT target FROM deliveries').all() as Array<{ target: string }>) {
      this.#targets.add(row.target);
    }
  }

  enqueue(delivery: NewDelivery): void {
    this.#sql(
      `INSERT INTO deliveries (id, kind, target, qualifier, payload, trigger, client_context, dead_letter, enqueued_at, next_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      delivery.id,
      delivery.kind,
      delivery.target,
      delivery.qualifier ?? null,
      delivery.payload,
      delivery.trigger,
      delivery.clientContext ?? null,
      delivery.deadLetter ? JSON.stringify(delivery.deadLetter) : null,
      delivery.enqueuedAt,
      delivery.enqueuedAt,
    );
    this.#targets.add(delivery.target);
  }

  /** The targets that may have deliveries (a copy). */
  targets(): string[] {
    return [...this.#targets];
  }

  /** Drops a target from `targets` when it has no delivery left, pending or running. */
  forgetIfEmpty(target: string): void {
    if (this.#sql('SELECT 1 FROM deliveries WHERE target = ? LIMIT 1').get(target) === undefined) {
      this.#targets.delete(target);
    }
  }

  /** Pending deliveries of one target due by `now`, earliest due first, then in commit order. */
  dueFor(target: string, now: number, limit: number): Delivery[] {
    const rows = this.#sql(
      `SELECT * FROM deliveries WHERE target = ? AND state = 'pending' AND next_at <= ? ORDER BY next_at, seq LIMIT ?`,
    ).all(target, now, limit) as Row[];
    return rows.map(fromRow);
  }

  /** When the next pending delivery of one target falls due, if any. */
  nextDueAtFor(target: string): number | undefined {
    const row = this.#sql(
      `SELECT next_at AS at FROM deliveries WHERE target = ? AND state = 'pending' ORDER BY next_at LIMIT 1`,
    ).get(target) as { at: number } | undefined;
    return row?.at;
  }

  markRunning(id: string): void {
    this.#sql(`UPDATE deliveries SET state = 'running' WHERE id = ?`).run(id);
  }

  /** Schedules another attempt after a failed one. */
  retry(id: string, attempts: number, nextAt: number): void {
    this.#sql(`UPDATE deliveries SET state = 'pending', attempts = ?, next_at = ? WHERE id = ?`).run(
      attempts,
      nextAt,
      id,
    );
  }

  /** Returns a running delivery to pending without counting an attempt (the engine is stopping). */
  release(id: string): void {
    this.#sql(`UPDATE deliveries SET state = 'pending' WHERE id = ?`).run(id);
  }

  remove(id: string): void {
    this.#sql('DELETE FROM deliveries WHERE id = ?').run(id);
  }

  /**
   * Removes a finished delivery with the next `removeFinished` (the dispatcher's next commit), so a
   * burst of finished invocations costs one commit rather than one each. A crash before then runs
   * it again after restart: at least once, as Lambda delivers async events.
   */
  removeLater(id: string): void {
    this.#finished.push(id);
  }

  /**
   * Removes the deliveries `removeLater` noted; call inside a transaction. Answers their ids, which
   * the caller hands back to `removeLater` when that transaction rolls back.
   */
  removeFinished(): string[] {
    const finished = this.#finished;
    this.#finished = [];
    for (const id of finished) this.remove(id);
    return finished;
  }

  /** After a crash or restart: deliveries that were running are pending again. */
  recover(): number {
    return this.#sql(`UPDATE deliveries SET state = 'pending' WHERE state = 'running'`).run().changes;
  }

  /** Deliveries waiting (not running): all, or those of one target or one trigger. */
  depth(filter: { target?: string; trigger?: string } = {}): number {
    if (filter.target !== undefined) {
      return this.#count(`SELECT COUNT(*) AS n FROM deliveries WHERE target = ? AND state = 'pending'`, filter.target);
    }
    if (filter.trigger !== undefined) {
      return this.#count(
        `SELECT COUNT(*) AS n FROM deliveries WHERE trigger = ? AND state = 'pending'`,
        filter.trigger,
      );
    }
    return this.#count(`SELECT COUNT(*) AS n FROM deliveries WHERE state = 'pending'`);
  }

  /** Runs `work` in one transaction (nested calls join the outer one). */
  transaction(work: () => void): void {
    this.#db.transaction(work)();
  }

  #count(sql: string, ...args: string[]): number {
    return (this.#sql(sql).get(...args) as { n: number }).n;
  }
}

function fromRow(row: Row): Delivery {
  const delivery: Delivery = {
    id: row.id,
    kind: row.kind,
    target: row.target,
    payload: row.payload,
    trigger: row.trigger,
    enqueuedAt: row.enqueued_at,
    attempts: row.attempts,
    nextAt: row.next_at,
  };
  if (row.qualifier !== null) delivery.qualifier = row.qualifier;
  if (row.client_context !== null) delivery.clientContext = row.client_context;
  if (row.dead_letter !== null) delivery.deadLetter = JSON.parse(row.dead_letter) as DeadLetter;
  return delivery;
}
