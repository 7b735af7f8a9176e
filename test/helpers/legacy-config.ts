/** Making a stored row look as an older version of the engine left it, for upgrade tests. */
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * Rewrites the JSON `config` of row `name` in `table` of the (closed) engine's database in `dataDir`
 * without `field`, as a version from before that field stored it; answers the value it had.
 */
export function dropConfigField(
  dataDir: string,
  table: 'la_views' | 'la_datasets',
  name: string,
  field: string,
): unknown {
  const db = new Database(join(dataDir, 'lambdata.db'));
  try {
    const row = db.prepare(`SELECT config FROM ${table} WHERE name = ?`).get(name) as { config: string };
    const config = JSON.parse(row.config) as Record<string, unknown>;
    const value = config[field];
    delete config[field];
    db.prepare(`UPDATE ${table} SET config = ? WHERE name = ?`).run(JSON.stringify(config), name);
    return value;
  } finally {
    db.close();
  }
}
