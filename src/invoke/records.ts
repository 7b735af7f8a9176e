import type { EngineContext } from '../shared/context.js';
import type { Db } from '../state/db.js';
import { migrate } from '../state/db.js';
import { whereClause } from './statements.js';
import type { InvocationRecord } from './types.js';
import { type WriteBatch, writeBatchOf } from './write-batch.js';

/** Which records `recent` returns (newest first). */
export interface RecordFilter {
  functionName?: string;
  trigger?: string;
  limit?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS invoke_records (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL,
  function_name TEXT NOT NULL,
  trigger TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS invoke_records_fn ON invoke_records (function_name, seq);`;

/** Records kept; older ones are pruned (billing keeps its own ledger). */
const KEEP = 100_000;

/**
 * Stored invocation records, newest first, for logs, the dashboard and jobs. `add` buffers the record
 * for the invoke layer's write batch (one transaction per tick); `recent` flushes first.
 */
export class RecordStore {
  #db: Db;
  #insert;
  #batch: WriteBatch;
  #pending: InvocationRecord[] = [];
  #sinceprune = 0;

  constructor(context: Pick<EngineContext, 'db' | 'log'>) {
    this.#db = context.db;
    migrate(this.#db, SCHEMA);
    this.#insert = this.#db.prepare(
      'INSERT INTO invoke_records (request_id, function_name, trigger, started_at, record) VALUES (?, ?, ?, ?, ?)',
    );
    this.#batch = writeBatchOf(context);
    this.#batch.register(this);
  }

  /** Buffers a record; it is written with the next batch. */
  add(record: InvocationRecord): void {
    this.#pending.push(record);
    this.#batch.schedule();
  }

  /** Part of the write batch: inserts the buffered records. */
  writePending(): void {
    if (this.#pending.length === 0) return;
    const records = this.#pending;
    this.#pending = [];
    for (const r of records) this.#insert.run(r.requestId, r.functionName, r.trigger, r.startedAt, JSON.stringify(r));
    this.#sinceprune += records.length;
    if (this.#sinceprune >= 1000) {
      this.#sinceprune = 0;
      this.#db.prepare('DELETE FROM invoke_records WHERE seq <= (SELECT MAX(seq) FROM invoke_records) - ?').run(KEEP);
    }
  }

  /** Part of the write batch: forgets the buffered records. */
  dropPending(): void {
    this.#pending = [];
  }

  /** Stored records matching the filter, newest first (buffered ones included). */
  recent(filter: RecordFilter = {}): InvocationRecord[] {
    this.#batch.flush();
    const { clause, args } = whereClause([
      ['function_name = ?', filter.functionName],
      ['trigger = ?', filter.trigger],
    ]);
    const limit = Math.max(1, Math.min(filter.limit ?? 100, 10_000));
    const rows = this.#db
      .prepare(`SELECT record FROM invoke_records ${clause} ORDER BY seq DESC LIMIT ${limit}`)
      .all(...args) as Array<{
      record: string;
    }>;
    return rows.map((row) => JSON.parse(row.record) as InvocationRecord);
  }
}
