/**
 * The rows of the invoke layer's write batch (write-batch.ts) and how they are written: the same
 * code runs on the batch's worker thread (write-batch-worker.ts) and, when that thread is not
 * there, on the event loop.
 */
import type Database from 'better-sqlite3';

/** One table the batch appends to. */
export interface BatchedTable {
  /** `INSERT INTO t (a, b, c)`: the VALUES are added for as many rows as one statement takes. */
  insert: string;
  /** Values per row. */
  columns: number;
  /** Run after every `every` rows written to this table (with `args`), to keep it bounded. */
  prune?: { every: number; sql: string; args: Array<string | number> };
}

/** Rows of one batch: per table (by its index), the rows' values one after another. */
export type BatchRows = Array<Array<string | number | null> | null>;

/** Rows per INSERT statement: each run of a prepared statement has a fixed cost worth sharing. */
const ROWS_PER_INSERT = 64;

/** Writes batches to one connection, with statements prepared once per table and row count. */
export class RowWriter {
  #db: Database.Database;
  #tables: readonly BatchedTable[];
  #inserts = new Map<string, Database.Statement>();
  #sincePrune: number[];

  constructor(db: Database.Database, tables: readonly BatchedTable[]) {
    this.#db = db;
    this.#tables = tables;
    this.#sincePrune = tables.map(() => 0);
  }

  /** Writes one batch in one transaction; throws what SQLite throws (nothing of the batch is kept then). */
  write(rows: BatchRows): void {
    this.#db.transaction(() => {
      rows.forEach((values, table) => {
        if (values && values.length > 0) this.#writeTable(table, values);
      });
    })();
  }

  #writeTable(table: number, values: Array<string | number | null>): void {
    const spec = this.#tables[table] as BatchedTable;
    const rows = values.length / spec.columns;
    for (let at = 0; at < rows; at += ROWS_PER_INSERT) {
      const chunk = Math.min(ROWS_PER_INSERT, rows - at);
      const args = values.slice(at * spec.columns, (at + chunk) * spec.columns);
      this.#insertOf(table, chunk).run(args);
    }
    if (!spec.prune) return;
    this.#sincePrune[table] = (this.#sincePrune[table] ?? 0) + rows;
    if ((this.#sincePrune[table] ?? 0) < spec.prune.every) return;
    this.#sincePrune[table] = 0;
    this.#db.prepare(spec.prune.sql).run(spec.prune.args);
  }

  #insertOf(table: number, rows: number): Database.Statement {
    const key = `${table}:${rows}`;
    let statement = this.#inserts.get(key);
    if (!statement) {
      const spec = this.#tables[table] as BatchedTable;
      const row = `(${Array.from({ length: spec.columns }, () => '?').join(', ')})`;
      statement = this.#db.prepare(`${spec.insert} VALUES ${Array.from({ length: rows }, () => row).join(', ')}`);
      this.#inserts.set(key, statement);
    }
    return statement;
  }
}
