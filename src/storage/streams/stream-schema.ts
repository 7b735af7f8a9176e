import type { Db } from '../../state/db.js';

/** A shard as the store keeps it in memory (hash keys as BigInt, sequence counters as numbers). */
export interface ShardMeta {
  key: number;
  shardId: string;
  parents: string[];
  hashStart: bigint;
  hashEnd: bigint;
  startSeq: number;
  endSeq?: number;
}

export interface StreamMeta {
  id: number;
  name: string;
  retentionHours: number;
  createdAt: number;
  nextShardIndex: number;
  shards: ShardMeta[];
}

/**
 * Tables of the stream store: streams, shards, and batches. A batch row holds the records one
 * request appended to one shard, with consecutive counters ending at `last_seq` (the rowid, so
 * `sqlite_sequence` keeps the engine-wide counter even after trimming): one row and one index entry
 * per shard per request instead of per record. `keys` is a JSON array of partition keys, `sizes`
 * the records' byte lengths as uint32 LE (NULL for a single record), `data` the records end to end.
 */
export const STREAM_SCHEMA = `
CREATE TABLE IF NOT EXISTS kinesis_streams (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  retention_hours INTEGER NOT NULL,
  next_shard_index INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS kinesis_shards (
  id INTEGER PRIMARY KEY,
  stream_id INTEGER NOT NULL REFERENCES kinesis_streams(id) ON DELETE CASCADE,
  shard_id TEXT NOT NULL,
  parents TEXT NOT NULL,
  hash_start TEXT NOT NULL,
  hash_end TEXT NOT NULL,
  start_seq INTEGER NOT NULL,
  end_seq INTEGER
);
CREATE TABLE IF NOT EXISTS kinesis_batches (
  last_seq INTEGER PRIMARY KEY AUTOINCREMENT,
  shard INTEGER NOT NULL,
  count INTEGER NOT NULL,
  arrived INTEGER NOT NULL,
  keys TEXT NOT NULL,
  sizes BLOB,
  data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS kinesis_batches_by_shard ON kinesis_batches (shard, last_seq);
`;

/**
 * Moves records stored one per row (the layout before batches) into single-record batches, keeping
 * their sequence numbers and the counter, then drops the old table. A no-op once done.
 */
export function migrateRecordRows(db: Db): void {
  const old = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kinesis_records'").get();
  if (!old) return;
  db.transaction(() => {
    db.exec(`INSERT INTO kinesis_batches (last_seq, shard, count, arrived, keys, sizes, data)
      SELECT seq, shard, 1, arrived, json_array(partition_key), NULL, data FROM kinesis_records ORDER BY seq`);
    const counter = db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').pluck();
    const previous = Number(counter.get('kinesis_records') ?? 0);
    if (previous > Number(counter.get('kinesis_batches') ?? 0)) {
      db.prepare("DELETE FROM sqlite_sequence WHERE name = 'kinesis_batches'").run();
      db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('kinesis_batches', ?)").run(previous);
    }
    db.exec('DROP TABLE kinesis_records');
  })();
}

/** Loads every stream and its shards from the database. */
export function loadStreams(db: Db): Map<string, StreamMeta> {
  const loaded = new Map<string, StreamMeta>();
  const streams = db.prepare('SELECT * FROM kinesis_streams').all() as Array<{
    id: number;
    name: string;
    created_at: number;
    retention_hours: number;
    next_shard_index: number;
  }>;
  const shards = db.prepare('SELECT * FROM kinesis_shards WHERE stream_id = ? ORDER BY id');
  for (const row of streams) {
    loaded.set(row.name, {
      id: row.id,
      name: row.name,
      createdAt: row.created_at,
      retentionHours: row.retention_hours,
      nextShardIndex: row.next_shard_index,
      shards: (
        shards.all(row.id) as Array<{
          id: number;
          shard_id: string;
          parents: string;
          hash_start: string;
          hash_end: string;
          start_seq: number;
          end_seq: number | null;
        }>
      ).map((s) => ({
        key: s.id,
        shardId: s.shard_id,
        parents: JSON.parse(s.parents) as string[],
        hashStart: BigInt(s.hash_start),
        hashEnd: BigInt(s.hash_end),
        startSeq: s.start_seq,
        ...(s.end_seq !== null ? { endSeq: s.end_seq } : {}),
      })),
    });
  }
  return loaded;
}
