import type { EngineContext } from '../shared/context.js';
import { type Db, migrate } from '../state/db.js';

/**
 * A function's execution role and tags, kept beside the registry's configuration. lambdata does not
 * enforce IAM; the role is kept only to report it back. (The table keeps the name it had when the
 * Lambda API owned it, so existing data dirs keep their tags.)
 */
export class FunctionMetadata {
  #db: Db;

  constructor(context: EngineContext) {
    this.#db = context.db;
    migrate(
      this.#db,
      `CREATE TABLE IF NOT EXISTS lambda_api_metadata (
         function_name TEXT PRIMARY KEY,
         role TEXT,
         tags TEXT NOT NULL DEFAULT '{}'
       )`,
    );
  }

  /** The role the function was created with, if any. */
  role(name: string): string | undefined {
    return this.#row(name)?.role ?? undefined;
  }

  setRole(name: string, role: string): void {
    this.#db
      .prepare(
        `INSERT INTO lambda_api_metadata (function_name, role) VALUES (?, ?)
         ON CONFLICT(function_name) DO UPDATE SET role = excluded.role`,
      )
      .run(name, role);
  }

  tags(name: string): Record<string, string> {
    const row = this.#row(name);
    return row ? (JSON.parse(row.tags) as Record<string, string>) : {};
  }

  /** Merges `tags` into the function's tags. */
  tag(name: string, tags: Record<string, string>): void {
    const merged = JSON.stringify({ ...this.tags(name), ...tags });
    this.#db
      .prepare(
        `INSERT INTO lambda_api_metadata (function_name, tags) VALUES (?, ?)
         ON CONFLICT(function_name) DO UPDATE SET tags = excluded.tags`,
      )
      .run(name, merged);
  }

  untag(name: string, keys: string[]): void {
    const tags = this.tags(name);
    for (const key of keys) delete tags[key];
    this.#db.prepare('UPDATE lambda_api_metadata SET tags = ? WHERE function_name = ?').run(JSON.stringify(tags), name);
  }

  /** Forgets a deleted function. */
  forget(name: string): void {
    this.#db.prepare('DELETE FROM lambda_api_metadata WHERE function_name = ?').run(name);
  }

  #row(name: string): { role: string | null; tags: string } | undefined {
    return this.#db.prepare('SELECT role, tags FROM lambda_api_metadata WHERE function_name = ?').get(name) as
      | { role: string | null; tags: string }
      | undefined;
  }
}
