import type { EngineContext } from '../shared/context.js';
import { migrate } from '../state/db.js';
import type { MappingConfig } from './mapping-types.js';
import type { WindowState } from './tumbling-window.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS esm_mappings (
  uuid TEXT PRIMARY KEY,
  config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS esm_checkpoints (
  uuid TEXT NOT NULL,
  shard_id TEXT NOT NULL,
  position TEXT NOT NULL,
  finished INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (uuid, shard_id)
);
`;

/** A shard's durable read position: `after` is the last processed sequence number. */
export interface Checkpoint {
  after?: string;
  atTimestamp?: number;
  /** Tumbling windows: the open window and its state, saved with the position it belongs to. */
  window?: WindowState;
  finished: boolean;
}

/** Durable mappings and per-shard checkpoints in SQLite. */
export class MappingStore {
  #context: EngineContext;

  constructor(context: EngineContext) {
    this.#context = context;
    migrate(context.db, SCHEMA);
  }

  all(): MappingConfig[] {
    const rows = this.#context.db.prepare('SELECT config FROM esm_mappings ORDER BY rowid').all() as {
      config: string;
    }[];
    return rows.map((r) => JSON.parse(r.config) as MappingConfig);
  }

  get(uuid: string): MappingConfig | undefined {
    const row = this.#context.db.prepare('SELECT config FROM esm_mappings WHERE uuid = ?').get(uuid) as
      | { config: string }
      | undefined;
    return row ? (JSON.parse(row.config) as MappingConfig) : undefined;
  }

  put(config: MappingConfig): void {
    this.#context.db
      .prepare(
        'INSERT INTO esm_mappings (uuid, config) VALUES (?, ?) ON CONFLICT(uuid) DO UPDATE SET config = excluded.config',
      )
      .run(config.uuid, JSON.stringify(config));
  }

  delete(uuid: string): void {
    const db = this.#context.db;
    db.transaction(() => {
      db.prepare('DELETE FROM esm_mappings WHERE uuid = ?').run(uuid);
      db.prepare('DELETE FROM esm_checkpoints WHERE uuid = ?').run(uuid);
    })();
  }

  checkpoint(uuid: string, shardId: string): Checkpoint | undefined {
    const row = this.#context.db
      .prepare('SELECT position, finished FROM esm_checkpoints WHERE uuid = ? AND shard_id = ?')
      .get(uuid, shardId) as { position: string; finished: number } | undefined;
    return row
      ? { ...(JSON.parse(row.position) as Omit<Checkpoint, 'finished'>), finished: row.finished === 1 }
      : undefined;
  }

  saveCheckpoint(uuid: string, shardId: string, checkpoint: Checkpoint): void {
    const { finished, ...position } = checkpoint;
    this.#context.db
      .prepare(
        `INSERT INTO esm_checkpoints (uuid, shard_id, position, finished) VALUES (?, ?, ?, ?)
         ON CONFLICT(uuid, shard_id) DO UPDATE SET position = excluded.position, finished = excluded.finished`,
      )
      .run(uuid, shardId, JSON.stringify(position), finished ? 1 : 0);
  }
}
