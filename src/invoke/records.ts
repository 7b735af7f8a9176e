import type { Db } from '../state/db.js';
import { migrate } from '../state/db.js';
import type { InvocationRecord } from './types.js';

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

/** Stored invocation records, newest first, for logs, the dashboard and jobs. */
export class RecordStore {
  #db: Db;
  #insert;
  #sinceprune = 0;

  constructor(db: Db) {
    this.#db = db;
    migrate(db, SCHEMA);
    this.#insert = db.prepare(
      'INSERT INTO invoke_records (request_id, function_name, trigger, started_at, record) VALUES (?, ?, ?, ?, ?)',
    );
  }

  add(record: InvocationRecord): void {
    this.#insert.run(record.requestId, record.functionName, record.trigger, record.startedAt, JSON.stringify(record));
    if (++this.#sinceprune >= 1000) {
      this.#sinceprune = 0;
      this.#db.prepare('DELETE FROM invoke_records WHERE seq <= (SELECT MAX(seq) FROM invoke_records) - ?').run(KEEP);
    }
  }

  recent(filter: RecordFilter = {}): InvocationRecord[] {
    const where: string[] = [];
    const args: Array<string | number> = [];
    if (filter.functionName !== undefined) {
      where.push('function_name = ?');
      args.push(filter.functionName);
    }
    if (filter.trigger !== undefined) {
      where.push('trigger = ?');
      args.push(filter.trigger);
    }
    const limit = Math.max(1, Math.min(filter.limit ?? 100, 10_000));
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.#db
      .prepare(`SELECT record FROM invoke_records ${clause} ORDER BY seq DESC LIMIT ${limit}`)
      .all(...args) as Array<{
      record: string;
    }>;
    return rows.map((row) => JSON.parse(row.record) as InvocationRecord);
  }
}
