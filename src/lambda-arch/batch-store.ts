/**
 * Batch view versions in SQLite: rows of (key, bucket, state) per version, a current-version pointer
 * per view, and the generations kept. Rows of a new version are written before the swap and are
 * invisible until the pointer moves, so the swap itself is one small transaction.
 */
import type { EngineContext } from '../shared/context.js';
import type { BatchGeneration } from './types.js';

/** The batch layer's stored versions. */
export class BatchStore {
  #context: EngineContext;
  #sql;

  constructor(context: EngineContext) {
    this.#context = context;
    const db = context.db;
    this.#sql = {
      current: db.prepare<[string], { version: number }>('SELECT version FROM la_batch_current WHERE view = ?'),
      setCurrent: db.prepare('INSERT OR REPLACE INTO la_batch_current (view, version) VALUES (?, ?)'),
      generations: db.prepare<[string], GenerationRow>(
        'SELECT version, horizon, computed_at, events FROM la_batch_versions WHERE view = ? ORDER BY version DESC',
      ),
      generation: db.prepare<[string, number], GenerationRow>(
        'SELECT version, horizon, computed_at, events FROM la_batch_versions WHERE view = ? AND version = ?',
      ),
      lastVersion: db.prepare<[string], { v: number | null }>(
        'SELECT MAX(version) AS v FROM la_batch_versions WHERE view = ?',
      ),
      addGeneration: db.prepare(
        'INSERT INTO la_batch_versions (view, version, horizon, computed_at, events, job_id) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      addRow: db.prepare(
        'INSERT OR REPLACE INTO la_batch_rows (view, version, key, bucket, state) VALUES (?, ?, ?, ?, ?)',
      ),
      rows: db.prepare<[string, number], { key: string; bucket: number; state: string }>(
        'SELECT key, bucket, state FROM la_batch_rows WHERE view = ? AND version = ?',
      ),
      range: db.prepare<[string, number, string, number, number], { bucket: number; state: string }>(
        'SELECT bucket, state FROM la_batch_rows WHERE view = ? AND version = ? AND key = ? AND bucket >= ? AND bucket < ? ORDER BY bucket',
      ),
      dropVersion: db.prepare('DELETE FROM la_batch_rows WHERE view = ? AND version = ?'),
      dropGeneration: db.prepare('DELETE FROM la_batch_versions WHERE view = ? AND version = ?'),
      dropAbove: db.prepare('DELETE FROM la_batch_rows WHERE view = ? AND version > ?'),
    };
  }

  /** The current generation of a view, or null before its first swap. */
  current(view: string): BatchGeneration | null {
    const row = this.#sql.current.get(view);
    return row ? this.generation(view, row.version) : null;
  }

  /** One kept generation, or null. */
  generation(view: string, version: number): BatchGeneration | null {
    const row = this.#sql.generation.get(view, version);
    return row ? toGeneration(row) : null;
  }

  /** Kept generations, newest first. */
  generations(view: string): BatchGeneration[] {
    return this.#sql.generations.all(view).map(toGeneration);
  }

  /** The number the next version gets (rows left by a recompute that never swapped are cleared first). */
  nextVersion(view: string): number {
    const last = this.#sql.lastVersion.get(view)?.v ?? 0;
    this.#sql.dropAbove.run(view, last);
    return last + 1;
  }

  /** Writes rows of a version that is not yet current (in chunks, to keep the engine responsive). */
  writeRows(view: string, version: number, rows: Array<[string, number, unknown]>): void {
    const db = this.#context.db;
    const insert = db.transaction((chunk: Array<[string, number, unknown]>) => {
      for (const [key, bucket, state] of chunk) this.#sql.addRow.run(view, version, key, bucket, JSON.stringify(state));
    });
    for (let i = 0; i < rows.length; i += 5000) insert(rows.slice(i, i + 5000));
  }

  /** All rows of a version. */
  rows(view: string, version: number): Array<[string, number, unknown]> {
    return this.#sql.rows.all(view, version).map((r) => [r.key, r.bucket, JSON.parse(r.state)]);
  }

  /** A key's states in one version over [from, to). */
  range(view: string, version: number, key: string, from: number, to: number): unknown[] {
    return this.#sql.range.all(view, version, key, from, to).map((r) => JSON.parse(r.state));
  }

  /**
   * Makes `generation` current and drops generations beyond `keep`; run inside the swap transaction
   * (with the speed layer's drop).
   */
  swap(view: string, generation: BatchGeneration, jobId: string | null, keep: number): void {
    const g = generation;
    this.#sql.addGeneration.run(view, g.version, g.horizon, g.computedAt, g.events, jobId);
    this.#sql.setCurrent.run(view, g.version);
    for (const old of this.generations(view).slice(keep)) {
      this.#sql.dropVersion.run(view, old.version);
      this.#sql.dropGeneration.run(view, old.version);
    }
  }
}

interface GenerationRow {
  version: number;
  horizon: number;
  computed_at: number;
  events: number;
}

function toGeneration(row: GenerationRow): BatchGeneration {
  return { version: row.version, horizon: row.horizon, computedAt: row.computed_at, events: row.events };
}
