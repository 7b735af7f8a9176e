import type { Engine } from '../../../engine.js';
import { migrate } from '../../../state/db.js';

/**
 * What the Lambda API stores beside the engine's registry: the execution role a function was
 * created with and its tags. lambdata does not enforce IAM; the role is kept only to echo it back.
 */
export class LambdaMetadata {
  #engine: Engine;

  constructor(engine: Engine) {
    this.#engine = engine;
    migrate(
      engine.context.db,
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
    this.#engine.context.db
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
    this.#engine.context.db
      .prepare(
        `INSERT INTO lambda_api_metadata (function_name, tags) VALUES (?, ?)
         ON CONFLICT(function_name) DO UPDATE SET tags = excluded.tags`,
      )
      .run(name, merged);
  }

  untag(name: string, keys: string[]): void {
    const tags = this.tags(name);
    for (const key of keys) delete tags[key];
    this.#engine.context.db
      .prepare('UPDATE lambda_api_metadata SET tags = ? WHERE function_name = ?')
      .run(JSON.stringify(tags), name);
  }

  /** Forgets a deleted function. */
  forget(name: string): void {
    this.#engine.context.db.prepare('DELETE FROM lambda_api_metadata WHERE function_name = ?').run(name);
  }

  #row(name: string): { role: string | null; tags: string } | undefined {
    return this.#engine.context.db
      .prepare('SELECT role, tags FROM lambda_api_metadata WHERE function_name = ?')
      .get(name) as { role: string | null; tags: string } | undefined;
  }
}

const byEngine = new WeakMap<Engine, LambdaMetadata>();

/** The metadata store of an engine (created, and its table migrated, on first use). */
export function metadataOf(engine: Engine): LambdaMetadata {
  let metadata = byEngine.get(engine);
  if (!metadata) {
    metadata = new LambdaMetadata(engine);
    byEngine.set(engine, metadata);
  }
  return metadata;
}
