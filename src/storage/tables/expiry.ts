/**
 * Time to live: items whose TTL attribute (epoch seconds) has passed are deleted by a background
 * sweep. AWS deletes expired items within a few days; lambdata's sweep runs every second, so they
 * go within seconds. Each deletion is a DynamoDB-made change: its stream record carries
 * `userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' }`.
 */
import type { Db } from '../../state/db.js';
import type { ChangeLog } from './change-log.js';
import { ConditionalCheckFailed } from './errors.js';
import { writeItem } from './item-writes.js';
import type { TableMeta } from './table-keys.js';

/** Items whose TTL is more than five years in the past are not deleted, as AWS documents. */
const MAX_AGE_SECONDS = 5 * 365 * 24 * 3600;
/** Deletions per sweep, so one sweep never holds the database long. */
const SWEEP_BATCH = 500;

/**
 * Deletes the expired items of the tables with TTL; returns the names of tables whose change
 * streams got records (the caller publishes them).
 */
export function sweepExpired(db: Db, changes: ChangeLog, tables: Iterable<TableMeta>, nowMs: number): Set<string> {
  const now = nowMs / 1000;
  const byId = new Map([...tables].filter((t) => t.definition.timeToLiveAttribute).map((t) => [t.id, t]));
  const changed = new Set<string>();
  if (byId.size === 0) return changed;
  const due = db
    .prepare(
      'SELECT table_id, pk, sk FROM ddb_expiry WHERE expires_at <= ? AND expires_at >= ? ORDER BY expires_at LIMIT ?',
    )
    .all(now, now - MAX_AGE_SECONDS, SWEEP_BATCH) as Array<{ table_id: number; pk: string; sk: string }>;
  for (const row of due) {
    const table = byId.get(row.table_id);
    if (!table) continue;
    try {
      const { changed: recorded } = writeItem(
        db,
        changes,
        {
          table,
          key: [row.pk, row.sk],
          // Checked again in the delete's transaction: a write since the select may have moved the TTL.
          options: {
            conditionExpression: '#ttl <= :now',
            expressionAttributeNames: { '#ttl': table.definition.timeToLiveAttribute as string },
            expressionAttributeValues: { ':now': { N: String(now) } },
          },
          produce: () => undefined,
        },
        'service',
      );
      if (recorded) changed.add(table.definition.tableName);
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailed)) throw err;
    }
  }
  return changed;
}

/** Records the expiry time of every item of a table that just enabled TTL. */
export function indexExpiry(db: Db, table: TableMeta, attribute: string): void {
  const path = `$.${JSON.stringify(attribute)}.N`;
  db.prepare(
    `INSERT OR REPLACE INTO ddb_expiry (table_id, pk, sk, expires_at)
     SELECT table_id, pk, sk, CAST(json_extract(item, ?) AS REAL) FROM ddb_items
     WHERE table_id = ? AND json_type(item, ?) = 'text'`,
  ).run(path, table.id, path);
}
