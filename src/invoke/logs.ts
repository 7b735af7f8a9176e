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

/**
 * Per-function log streams (START/END/REPORT and the function's own lines), stored in SQLite and
 * published live on `lines` so `logs --follow` and the dashboard see them as they happen.
 */
export class LogStore {
  /** Every appended line, as it is appended. */
  readonly lines = new Topic<LogLine>();
  #db: Db;
  #batch: WriteBatch;
  #table: number;

  constructor(context: EngineContext) {
    this.#db = context.db;
    migrate(this.#db, SCHEMA);
    this.#batch = writeBatchOf(context);
    this.#table = this.#batch.table({
      insert: 'INSERT INTO invoke_log_lines (function_name, request_id, time, line)',
      columns: 4,
      prune: {
        every: PRUNE_EVERY,
        sql: 'DELETE FROM invoke_log_lines WHERE id <= (SELECT MAX(id) FROM invoke_log_lines) - ?',
        args: [KEEP_LINES],
      },
    });
  }

  /**
   * Appends lines of one invocation and publishes each at once. Rows are written in batches (one
   * transaction every few milliseconds for all of the invoke layer's bookkeeping, off the event
   * loop, or at `flush`), since a commit per line would cap invocation throughput.
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

  #push(entry: LogLine): void {
    this.#batch.add(this.#table, entry.functionName, entry.requestId, entry.time, entry.line);
    this.lines.publish(entry);
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
