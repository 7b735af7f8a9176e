import type { EngineContext } from '../shared/context.js';
import { InvalidParameterValue } from '../shared/errors.js';
import { Topic } from '../shared/events.js';
import type { Db } from '../state/db.js';
import { migrate } from '../state/db.js';
import { RowInserter } from './statements.js';
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
//
// A row holds the lines one invocation appended within one write batch: a no-op's START, END and
// REPORT are one row, not three (a row and its index entry cost more than the bytes of a line).
// A row of one line keeps it in `line` with `times` NULL (every row written before `times` existed
// is such a row); a row of several keeps them as a JSON array in `line`, with `time` the last
// line's and `times` how many ms before it each line came, comma-separated.

/**
 * Lines kept across all functions, about: older rows are pruned, as many as the lines per row this
 * engine has written so far say (a row holds one or more lines).
 */
export const KEEP_LINES = 1_000_000;
/** Lines written between prunes (at most; a tenth of the lines kept when that is fewer). */
const PRUNE_EVERY = 10_000;

/** Creates (or brings up to date) the log lines table on `db`. */
export function migrateLogs(db: Db): void {
  migrate(db, SCHEMA);
  addTimesColumn(db);
}

/** Writes batches of log rows and prunes the oldest (inside the write batch's transaction). */
export class LogSink {
  #db: Db;
  #insert: RowInserter;
  #sincePrune = 0;
  #keepLines: number;
  #pruneEvery: number;
  /** Rows and lines this sink has written, for the lines a row holds on average. */
  #written = { rows: 0, lines: 0 };

  constructor(db: Db, keepLines: number) {
    this.#db = db;
    this.#keepLines = keepLines;
    this.#pruneEvery = Math.min(PRUNE_EVERY, Math.max(1, Math.floor(keepLines / 10)));
    this.#insert = new RowInserter(
      db,
      'INSERT INTO invoke_log_lines (function_name, request_id, time, line, times)',
      5,
    );
  }

  /** Inserts the rows, one per invocation (see SCHEMA). */
  write(rows: PendingRow[]): void {
    const values: Array<string | number | null> = [];
    let lineCount = 0;
    for (const row of rows) {
      const { lines, times } = row;
      lineCount += lines.length;
      const last = times[times.length - 1] as number;
      if (lines.length === 1) values.push(row.functionName, row.requestId, last, lines[0] as string, null);
      else
        values.push(
          row.functionName,
          row.requestId,
          last,
          JSON.stringify(lines),
          times.map((time) => last - time).join(','),
        );
    }
    this.#insert.insert(values);
    this.#written.rows += rows.length;
    this.#written.lines += lineCount;
    this.#sincePrune += lineCount;
    if (this.#sincePrune >= this.#pruneEvery) {
      this.#sincePrune = 0;
      const keepRows = Math.ceil((this.#keepLines * this.#written.rows) / this.#written.lines);
      this.#db
        .prepare('DELETE FROM invoke_log_lines WHERE id <= (SELECT MAX(id) FROM invoke_log_lines) - ?')
        .run(keepRows);
    }
  }
}

/**
 * Per-function log streams (START/END/REPORT and the function's own lines), stored in SQLite and
 * published live on `lines` so `logs --follow` and the dashboard see them as they happen.
 */
export class LogStore {
  /** Every appended line, as it is appended. */
  readonly lines = new Topic<LogLine>();
  #db: Db;
  #batch: WriteBatch;
  /** Lines waiting for the next batch, one entry per invocation (see SCHEMA). */
  #pending = new Map<string, PendingRow>();

  /** Throws InvalidParameterValueException for a `keepLines` that is not a whole number >= 1. */
  constructor(context: EngineContext, options: { keepLines?: number } = {}) {
    const keepLines = options.keepLines ?? KEEP_LINES;
    if (!Number.isInteger(keepLines) || keepLines < 1) {
      throw new InvalidParameterValue(`keepLines: ${keepLines} must be a whole number >= 1`);
    }
    this.#db = context.db;
    this.#batch = writeBatchOf(context);
    if (!this.#batch.attached) migrateLogs(this.#db);
    this.#batch.register('logs', {
      take: () => {
        if (this.#pending.size === 0) return undefined;
        const rows = [...this.#pending.values()];
        this.#pending = new Map();
        return rows;
      },
      sink: (db) => new LogSink(db, keepLines),
      sinkOptions: { keepLines },
    });
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

  #push(entry: LogLine): void {
    const row = this.#rowOf(entry);
    row.lines.push(entry.line);
    row.times.push(entry.time);
    this.lines.publish(entry);
    this.#batch.schedule();
  }

  /** The pending row of the entry's invocation (keyed by request id, and function name should two functions share one). */
  #rowOf(entry: LogLine): PendingRow {
    let key = entry.requestId;
    let row = this.#pending.get(key);
    if (row && row.functionName !== entry.functionName) {
      key = `${key}\n${entry.functionName}`;
      row = this.#pending.get(key);
    }
    if (!row) {
      row = { functionName: entry.functionName, requestId: entry.requestId, lines: [], times: [] };
      this.#pending.set(key, row);
    }
    return row;
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
    // Each row holds at least one line, so the newest `limit` rows hold the newest `limit` lines.
    const rows = this.#db
      .prepare(
        `SELECT function_name AS functionName, request_id AS requestId, time, line, times FROM invoke_log_lines WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ${limit}`,
      )
      .all(...args) as StoredRow[];
    const lines: LogLine[] = [];
    for (let i = rows.length - 1; i >= 0; i--) linesOf(rows[i] as StoredRow, lines);
    const since = filter.since;
    const kept = since === undefined ? lines : lines.filter((line) => line.time >= since);
    return kept.length > limit ? kept.slice(kept.length - limit) : kept;
  }
}

/** A row of invoke_log_lines as written and read (see SCHEMA). */
interface StoredRow {
  functionName: string;
  requestId: string;
  time: number;
  line: string;
  times: string | null;
}

/** Adds the `times` column to a table made before it existed. */
function addTimesColumn(db: Db): void {
  const hasTimes = () =>
    (db.prepare('PRAGMA table_info(invoke_log_lines)').all() as Array<{ name: string }>).some(
      (column) => column.name === 'times',
    );
  if (hasTimes()) return;
  try {
    db.exec('ALTER TABLE invoke_log_lines ADD COLUMN times TEXT');
  } catch (err) {
    // Another engine opening the same data dir may have added it first.
    if (!hasTimes()) throw err;
  }
}

/** The lines of one invocation appended since the last batch, with their times (epoch ms). */
export interface PendingRow {
  functionName: string;
  requestId: string;
  lines: string[];
  times: number[];
}

/** Appends the lines of a stored row to `out`, oldest first. */
function linesOf(row: StoredRow, out: LogLine[]): void {
  if (row.times === null) {
    out.push({ functionName: row.functionName, requestId: row.requestId, time: row.time, line: row.line });
    return;
  }
  const texts = JSON.parse(row.line) as string[];
  const before = row.times.split(',');
  for (let i = 0; i < texts.length; i++) {
    out.push({
      functionName: row.functionName,
      requestId: row.requestId,
      time: row.time - Number(before[i]),
      line: texts[i] as string,
    });
  }
}
