import type { Statement } from 'better-sqlite3';
import type { Db } from '../state/db.js';

/** Prepares each distinct SQL text once per database (preparing costs more than running a small query). */
export function statementCache(db: Db): (sql: string) => Statement {
  const cache = new Map<string, Statement>();
  return (sql) => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      cache.set(sql, statement);
    }
    return statement;
  };
}

/**
 * A `WHERE …` clause (empty when nothing is set) ANDing the conditions whose value is defined, and
 * the arguments in order. Each condition is SQL with one `?`, e.g. `['started_at >= ?', since]`.
 */
export function whereClause(conditions: Array<[sql: string, value: string | number | undefined]>): {
  clause: string;
  args: Array<string | number>;
} {
  const set = conditions.filter((c): c is [string, string | number] => c[1] !== undefined);
  return {
    clause: set.length ? `WHERE ${set.map(([sql]) => sql).join(' AND ')}` : '',
    args: set.map(([, value]) => value),
  };
}

/** Rows per INSERT statement: each run of a prepared statement has a fixed cost worth sharing. */
const ROWS_PER_INSERT = 64;

/**
 * Inserts rows many per statement. `sql` is the statement up to its VALUES (`INSERT INTO t (a, b)`,
 * `INSERT OR REPLACE …`), `after` what follows them (an `ON CONFLICT …` clause), each row `columns`
 * values; one statement is prepared per row count used.
 */
export class RowInserter {
  #db: Db;
  #sql: string;
  #columns: number;
  #after: string;
  #statements = new Map<number, Statement>();

  constructor(db: Db, sql: string, columns: number, after = '') {
    this.#db = db;
    this.#sql = sql;
    this.#columns = columns;
    this.#after = after;
  }

  /** Inserts the rows whose values `values` holds one row after another. */
  insert(values: unknown[]): void {
    const columns = this.#columns;
    const rows = values.length / columns;
    for (let at = 0; at < rows; at += ROWS_PER_INSERT) {
      const chunk = Math.min(ROWS_PER_INSERT, rows - at);
      this.#statementOf(chunk).run(chunk === rows ? values : values.slice(at * columns, (at + chunk) * columns));
    }
  }

  #statementOf(rows: number): Statement {
    let statement = this.#statements.get(rows);
    if (!statement) {
      const row = `(${Array.from({ length: this.#columns }, () => '?').join(', ')})`;
      const values = Array.from({ length: rows }, () => row).join(', ');
      statement = this.#db.prepare(`${this.#sql} VALUES ${values} ${this.#after}`);
      this.#statements.set(rows, statement);
    }
    return statement;
  }
}
