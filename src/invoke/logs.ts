import type { Statement } from 'better-sqlite3';
import type { EngineContext } from '../shared/context.js';
import { Topic } from '../shared/events.js';
import type { Db } from '../state/db.js';
import { migrate } from '../state/db.js';
import type { LogLine } from './types.js';
import { type WriteBatch, writeBatchOf } from './write-batch.js';

export type { LogLine } from './types.js';

/** Which lines `tail` returns: the newest `limit` (default 1000) of one function, oldest first. */
export interface LogFilter {
  functionName: string;
  /** Only lines at or after this epoch ms. */
  since?: number;
  limit?: number;
  requestId?: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS invoke_log_lines (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  function_name TEXT NOT NULL,
  request_id TEXT NOT NULL,
  time INTEGER NOT NULL,
  line TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS invoke_log_lines_fn ON invoke_log_lines (function_name, id);
DROP INDEX IF EXISTS invoke_log_lines_req;`;
// No index on request_id: random keys made every line cost a scattered B-tree write (≈4× the
// insert time); a lookup by request id scans the function's own lines instead, which is rare.

/** Lines kept across all functions; older ones are pruned. */
const KEEP_LINES = 1_000_000;
const PRUNE_EVERY = 10_000;
/** Lines per INSERT statement when a batch is written. */
const ROWS_PER_INSERT = 64;

/**
 * Per-function log streams (START/END/REPORT and the function's own lines), stored in SQLite and
 * published live on `lines` so `logs --follow` and the dashboard see them as they happen.
 */
export class LogStore {
  /** Every appended line, as it is appended. */
  readonly lines = new Topic<LogLine>();
  #db: Db;
  #inserts = new Map<number, Statement>();
  #batch: WriteBatch;
  #pending: LogLine[] = [];
  #sincePrune = 0;

  constructor(context: EngineContext) {
    this.#db = context.db;
    migrate(this.#db, SCHEMA);
    this.#batch = writeBatchOf(context);
    this.#batch.register(this);
  }

  /**
   * Appends lines of one invocation and publishes each at once. Rows are written in batches (one
   * transaction per tick for all of the invoke layer's bookkeeping, or at `flush`), since a commit
   * per line would cap invocation throughput.
   */
  append(functionName: string, requestId: string, lines: string[]): void {
    const time = Date.now();
    for (const line of lines) this.#push({ functionName, requestId, time, line });
  }

  /** Appends one line of one invocation (the hot path's form of `append`). */
  appendLine(functionName: string, requestId: string, line: string): void {
    this.#push({ functionName, requestId, time: Date.now(), line });
  }

  /** Writes buffered lines (and the rest of the invoke layer's batch) now; `tail` does this first. */
  flush(): void {
    this.#batch.flush();
  }

  /** Part of the write batch: inserts the buffered lines. */
  writePending(): void {
    if (this.#pending.length === 0) return;
    const rows = this.#pending;
    this.#pending = [];
    // Many rows per statement: each run of a prepared statement has a fixed cost worth sharing.
    const args: Array<string | number> = [];
    for (let at = 0; at < rows.length; at += ROWS_PER_INSERT) {
      const chunk = Math.min(ROWS_PER_INSERT, rows.length - at);
      args.length = 0;
      for (let i = at; i < at + chunk; i++) {
        const r = rows[i] as LogLine;
        args.push(r.functionName, r.requestId, r.time, r.line);
      }
      this.#insertOf(chunk).run(args);
    }
    this.#sincePrune += rows.length;
    if (this.#sincePrune >= PRUNE_EVERY) {
      this.#sincePrune = 0;
      this.#db
        .prepare('DELETE FROM invoke_log_lines WHERE id <= (SELECT MAX(id) FROM invoke_log_lines) - ?')
        .run(KEEP_LINES);
    }
  }

  /** Part of the write batch: forgets the buffered lines. */
  dropPending(): void {
    this.#pending = [];
  }

  /** The INSERT of `rows` lines at once (prepared once per size). */
  #insertOf(rows: number): Statement {
    let statement = this.#inserts.get(rows);
    if (!statement) {
      const values = Array.from({ length: rows }, () => '(?, ?, ?, ?)').join(', ');
      statement = this.#db.prepare(
        `INSERT INTO invoke_log_lines (function_name, request_id, time, line) VALUES ${values}`,
      );
      this.#inserts.set(rows, statement);
    }
    return statement;
  }

  #push(entry: LogLine): void {
    this.#pending.push(entry);
    this.lines.publish(entry);
    this.#batch.schedule();
  }

  /** The newest lines matching the filter, oldest first. */
  tail(filter: LogFilter): LogLine[] {
    this.flush();
    const where = ['function_name = ?'];
    const args: Array<string | number> = [filter.functionName];
    if (filter.since !== undefined) {
      where.push('time >= ?');
      args.push(filter.since);
    }
    if (filter.requestId !== undefined) {
      where.push('request_id = ?');
      args.push(filter.requestId);
    }
    const limit = Math.max(1, Math.min(filter.limit ?? 1000, 100_000));
    const rows = this.#db
      .prepare(
        `SELECT function_name, request_id, time, line FROM invoke_log_lines WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${limit}`,
      )
      .all(...args) as Array<{ function_name: string; request_id: string; time: number; line: string }>;
    return rows
      .reverse()
      .map((r) => ({ functionName: r.function_name, requestId: r.request_id, time: r.time, line: r.line }));
  }
}
