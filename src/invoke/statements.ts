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
