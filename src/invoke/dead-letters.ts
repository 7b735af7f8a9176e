import type { Db } from '../state/db.js';
import { migrate } from '../state/db.js';
import type { DeadLetter } from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS invoke_dead_letters (
  id TEXT PRIMARY KEY,
  function_name TEXT NOT NULL,
  failed_at INTEGER NOT NULL,
  letter TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS invoke_dead_letters_fn ON invoke_dead_letters (function_name, failed_at);`;

/** The durable store of async events that failed for good without an on-failure destination. */
export class DeadLetterStore {
  #db: Db;

  constructor(db: Db) {
    this.#db = db;
    migrate(db, SCHEMA);
  }

  add(letter: DeadLetter): void {
    this.#db
      .prepare('INSERT OR REPLACE INTO invoke_dead_letters (id, function_name, failed_at, letter) VALUES (?, ?, ?, ?)')
      .run(letter.id, letter.functionName, letter.failedAt, JSON.stringify(letter));
  }

  get(id: string): DeadLetter | undefined {
    const row = this.#db.prepare('SELECT letter FROM invoke_dead_letters WHERE id = ?').get(id) as
      | { letter: string }
      | undefined;
    return row ? (JSON.parse(row.letter) as DeadLetter) : undefined;
  }

  /** Oldest first. */
  list(filter: { functionName?: string } = {}): DeadLetter[] {
    const rows = (
      filter.functionName === undefined
        ? this.#db.prepare('SELECT letter FROM invoke_dead_letters ORDER BY failed_at, id').all()
        : this.#db
            .prepare('SELECT letter FROM invoke_dead_letters WHERE function_name = ? ORDER BY failed_at, id')
            .all(filter.functionName)
    ) as Array<{ letter: string }>;
    return rows.map((row) => JSON.parse(row.letter) as DeadLetter);
  }

  /** Returns whether it existed. */
  delete(id: string): boolean {
    return this.#db.prepare('DELETE FROM invoke_dead_letters WHERE id = ?').run(id).changes > 0;
  }
}
