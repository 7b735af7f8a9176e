/**
 * The speed layer: per (view, key, bucket) states in SQLite, updated inside the archive
 * transaction of each batch, so the update and the shard position (its checkpoint) commit together
 * and a redelivered batch is skipped, never counted twice. It holds buckets at or after each view's
 * batch horizon; a swap drops those the new version covers. The tuples come from each view's folder
 * (view-folder.ts): user code never runs here, only built-in monoid merges.
 */
import type { EngineContext } from '../shared/context.js';
import type { ViewFold, ViewShape } from './view-module.js';

/** The speed layer's state. */
export class SpeedLayer {
  #sql;

  constructor(context: EngineContext) {
    const db = context.db;
    this.#sql = {
      get: db.prepare<[string, string, number], { state: string }>(
        'SELECT state FROM la_speed WHERE view = ? AND key = ? AND bucket = ?',
      ),
      put: db.prepare('INSERT OR REPLACE INTO la_speed (view, key, bucket, state) VALUES (?, ?, ?, ?)'),
      // Counts are integers: SQLite adds them exactly, so a count needs no read before its write.
      addCount: db.prepare(
        `INSERT INTO la_speed (view, key, bucket, state) VALUES (?, ?, ?, ?) ON CONFLICT (view, key, bucket)
         DO UPDATE SET state = CAST(CAST(state AS INTEGER) + CAST(excluded.state AS INTEGER) AS TEXT)`,
      ),
      drop: db.prepare('DELETE FROM la_speed WHERE view = ? AND bucket < ?'),
      dropView: db.prepare('DELETE FROM la_speed WHERE view = ?'),
      range: db.prepare<[string, string, number, number], { bucket: number; state: string }>(
        'SELECT bucket, state FROM la_speed WHERE view = ? AND key = ? AND bucket >= ? AND bucket < ? ORDER BY bucket',
      ),
      stats: db.prepare<[string], { buckets: number; keys: number }>(
        'SELECT COUNT(DISTINCT bucket) AS buckets, COUNT(DISTINCT key) AS keys FROM la_speed WHERE view = ?',
      ),
      errors: db.prepare<[string], { count: number; last: string }>(
        'SELECT count, last FROM la_view_errors WHERE view = ?',
      ),
      error: db.prepare(
        `INSERT INTO la_view_errors (view, count, last) VALUES (?, ?, ?)
         ON CONFLICT(view) DO UPDATE SET count = count + excluded.count, last = excluded.last`,
      ),
    };
  }

  /**
   * Merges a batch's folded tuples into a view's states with its built-in monoid: one write per
   * distinct (key, bucket) (an upsert for counts; a read and a write for the others). Run inside
   * the caller's (archive) transaction. Events the view's code threw on were skipped by the fold and
   * are counted here.
   */
  apply(name: string, view: ViewShape, fold: ViewFold): void {
    const { get, put, addCount } = this.#sql;
    if (view.monoid.name === 'count') {
      for (const [key, bucket, state] of fold.tuples) addCount.run(name, key, bucket, String(state));
    } else {
      for (const [key, bucket, state] of fold.tuples) {
        const row = get.get(name, key, bucket);
        put.run(name, key, bucket, JSON.stringify(row ? view.monoid.merge(JSON.parse(row.state), state) : state));
      }
    }
    if (fold.errors > 0) this.#sql.error.run(name, fold.errors, (fold.last ?? '').slice(0, 500));
  }

  /** Drops the buckets a batch version with horizon `horizon` now covers (in the swap transaction). */
  dropBefore(view: string, horizon: number): void {
    this.#sql.drop.run(view, horizon);
  }

  /** Forgets a view's speed state. */
  dropView(view: string): void {
    this.#sql.dropView.run(view);
  }

  /** A key's speed states over [from, to). */
  range(view: string, key: string, from: number, to: number): Array<{ bucket: number; state: unknown }> {
    return this.#sql.range.all(view, key, from, to).map((r) => ({ bucket: r.bucket, state: JSON.parse(r.state) }));
  }

  /** How many events a view's code threw on, and the last message. */
  errors(view: string): { count: number; last?: string } {
    const row = this.#sql.errors.get(view);
    return row ? { count: row.count, last: row.last } : { count: 0 };
  }

  /** How many buckets and keys a view's speed layer holds. */
  stats(view: string): { buckets: number; keys: number } {
    return this.#sql.stats.get(view) ?? { buckets: 0, keys: 0 };
  }
}
