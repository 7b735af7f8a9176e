/** Named targets in SQLite: region, profile, endpoint, role and code bucket (never credentials). */
import type { Db } from '../state/index.js';
import { migrate } from '../state/index.js';
import type { TargetConfig } from './types.js';

const SCHEMA = `CREATE TABLE IF NOT EXISTS targets (
  name TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  created_at INTEGER NOT NULL
);`;

/** Reads and writes target rows. */
export class TargetStore {
  #db: Db;

  constructor(db: Db) {
    this.#db = db;
    migrate(db, SCHEMA);
  }

  put(target: TargetConfig): void {
    this.#db
      .prepare('INSERT OR REPLACE INTO targets (name, config, created_at) VALUES (?, ?, ?)')
      .run(target.name, JSON.stringify(target), target.createdAt);
  }

  get(name: string): TargetConfig | undefined {
    const row = this.#db.prepare('SELECT config FROM targets WHERE name = ?').get(name) as
      | { config: string }
      | undefined;
    return row ? (JSON.parse(row.config) as TargetConfig) : undefined;
  }

  list(): TargetConfig[] {
    const rows = this.#db.prepare('SELECT config FROM targets ORDER BY name').all() as Array<{ config: string }>;
    return rows.map((r) => JSON.parse(r.config) as TargetConfig);
  }

  delete(name: string): boolean {
    return this.#db.prepare('DELETE FROM targets WHERE name = ?').run(name).changes > 0;
  }
}
