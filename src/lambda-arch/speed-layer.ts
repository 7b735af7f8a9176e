/**
 * The speed layer: per (view, key, bucket) states in SQLite, updated inside the archive
 * transaction of each batch, so the update and the shard position (its checkpoint) commit together
 * and a redelivered batch is skipped, never counted twice. It holds buckets at or after each view's
 * batch horizon; a swap drops those the new version covers.
 */
import type { EngineContext } from '../shared/context.js';
import type { TimedEvent } from './archive-batch.js';
import { bucketOf, contributions, type ResolvedView } from './view-module.js';

/** A view as the speed layer applies it. */
export interface SpeedView {
  name: string;
  view: ResolvedView;
}

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
   * Folds events into the views' states. Run inside the caller's transaction. A view that throws on
   * an event skips that event (for that view only) and counts an error.
   */
  apply(views: SpeedView[], events: TimedEvent[]): void {
    for (const { name, view } of views) {
      const folded = new Map<string, { key: string; bucket: number; state: unknown }>();
      let errors = 0;
      let last = '';
      for (const { event, time } of events) {
        let parts: Array<[string, unknown]>;
        try {
          parts = contributions(view, event);
        } catch (err) {
          errors++;
          last = `${(err as Error).message ?? err}`;
          continue;
        }
        const bucket = bucketOf(time, view.width);
        for (const [key, state] of parts) {
          const id = `${bucket}\0${key}`;
          const entry = folded.get(id);
          if (entry) entry.state = view.monoid.merge(entry.state, state);
          else folded.set(id, { key, bucket, state });
        }
      }
      for (const { key, bucket, state } of folded.values()) {
        const row = this.#sql.get.get(name, key, bucket);
        const merged = row ? view.monoid.merge(JSON.parse(row.state), state) : state;
        this.#sql.put.run(name, key, bucket, JSON.stringify(merged));
      }
      if (errors > 0) this.#sql.error.run(name, errors, last.slice(0, 500));
    }
  }

  /** Adds precomputed states (a new view's seed) under the caller's transaction. */
  seed(name: string, view: ResolvedView, events: TimedEvent[]): void {
    this.apply([{ name, view }], events);
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
