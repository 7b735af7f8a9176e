import type { Db } from '../state/db.js';
import { migrate } from '../state/db.js';
import { statementCache } from './statements.js';

/** One async invocation waiting (or running) in the durable queue. */
export interface QueuedEvent {
  id: string; // the request id returned with the 202
  functionName: string;
  qualifier: string;
  payload: string;
  trigger: string;
  clientContext?: string;
  enqueuedAt: number;
  attempts: number; // finished attempts (throttles do not count)
  nextAt: number;
}

interface Row {
  id: string;
  function_name: string;
  qualifier: string;
  payload: string;
  trigger: string;
  client_context: string | null;
  enqueued_at: number;
  attempts: number;
  next_at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS invoke_async_events (
  id TEXT PRIMARY KEY,
  function_name TEXT NOT NULL,
  qualifier TEXT NOT NULL,
  payload TEXT NOT NULL,
  trigger TEXT NOT NULL,
  client_context TEXT,
  enqueued_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  throttled INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS invoke_async_events_due ON invoke_async_events (state, next_at);
CREATE INDEX IF NOT EXISTS invoke_async_events_throttled ON invoke_async_events (throttled) WHERE throttled = 1;`;

/**
 * The durable async queue in SQLite. An event is committed by `enqueue` before the caller gets its
 * 202; a `running` event left by a crash is made pending again by `recover`.
 */
export class EventQueue {
  #sql: ReturnType<typeof statementCache>;
  /** Whether some pending event waits for capacity (saves an UPDATE on every release). */
  #throttled = true;

  constructor(db: Db) {
    migrate(db, SCHEMA);
    this.#sql = statementCache(db);
  }

  enqueue(event: Omit<QueuedEvent, 'attempts' | 'nextAt'>): void {
    this.#sql(
      `INSERT INTO invoke_async_events (id, function_name, qualifier, payload, trigger, client_context, enqueued_at, next_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      event.id,
      event.functionName,
      event.qualifier,
      event.payload,
      event.trigger,
      event.clientContext ?? null,
      event.enqueuedAt,
      event.enqueuedAt,
    );
  }

  /** Pending events due by `now`, oldest due first. */
  due(now: number, limit: number): QueuedEvent[] {
    const rows = this.#sql(
      `SELECT * FROM invoke_async_events WHERE state = 'pending' AND next_at <= ? ORDER BY next_at, enqueued_at LIMIT ?`,
    ).all(now, limit) as Row[];
    return rows.map(fromRow);
  }

  /** When the next pending event falls due, if any. */
  nextDueAt(): number | undefined {
    const row = this.#sql(`SELECT MIN(next_at) AS at FROM invoke_async_events WHERE state = 'pending'`).get() as {
      at: number | null;
    };
    return row.at ?? undefined;
  }

  markRunning(id: string): void {
    this.#sql(`UPDATE invoke_async_events SET state = 'running', throttled = 0 WHERE id = ?`).run(id);
  }

  /** Puts an event back to wait for capacity; throttles are not attempts. */
  throttle(id: string, nextAt: number): void {
    this.#throttled = true;
    this.#sql(`UPDATE invoke_async_events SET state = 'pending', throttled = 1, next_at = ? WHERE id = ?`).run(
      nextAt,
      id,
    );
  }

  /** Makes throttled events due now (capacity was freed); returns how many. */
  wakeThrottled(now: number): number {
    if (!this.#throttled) return 0;
    this.#throttled = false;
    return this.#sql(
      `UPDATE invoke_async_events SET next_at = ?, throttled = 0 WHERE state = 'pending' AND throttled = 1`,
    ).run(now).changes;
  }

  /** Schedules another attempt after a failed one. */
  retry(id: string, attempts: number, nextAt: number): void {
    this.#sql(`UPDATE invoke_async_events SET state = 'pending', attempts = ?, next_at = ? WHERE id = ?`).run(
      attempts,
      nextAt,
      id,
    );
  }

  /** Returns a running event to pending without counting an attempt (the engine is stopping). */
  release(id: string): void {
    this.#sql(`UPDATE invoke_async_events SET state = 'pending' WHERE id = ?`).run(id);
  }

  remove(id: string): void {
    this.#sql('DELETE FROM invoke_async_events WHERE id = ?').run(id);
  }

  /** After a crash or restart: events that were running are pending again. */
  recover(): number {
    return this.#sql(`UPDATE invoke_async_events SET state = 'pending' WHERE state = 'running'`).run().changes;
  }

  /** Events waiting (not running), for one function or all. */
  depth(functionName?: string): number {
    const row = (
      functionName === undefined
        ? this.#sql(`SELECT COUNT(*) AS n FROM invoke_async_events WHERE state = 'pending'`).get()
        : this.#sql(`SELECT COUNT(*) AS n FROM invoke_async_events WHERE state = 'pending' AND function_name = ?`).get(
            functionName,
          )
    ) as { n: number };
    return row.n;
  }
}

function fromRow(row: Row): QueuedEvent {
  const event: QueuedEvent = {
    id: row.id,
    functionName: row.function_name,
    qualifier: row.qualifier,
    payload: row.payload,
    trigger: row.trigger,
    enqueuedAt: row.enqueued_at,
    attempts: row.attempts,
    nextAt: row.next_at,
  };
  if (row.client_context !== null) event.clientContext = row.client_context;
  return event;
}
