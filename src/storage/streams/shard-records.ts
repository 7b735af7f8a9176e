/**
 * The records of shards: appends (one stored batch row per shard per request, with consecutive
 * sequence numbers from the engine-wide counter), reads from a position within the retention
 * period, per-shard tips and counts, and trimming of expired batches.
 */
import type { Statement } from 'better-sqlite3';
import type { Db } from '../../state/db.js';
import { type BatchRow, packBatch, unpackBatch } from './batches.js';
import { positionStart } from './routing.js';
import { formatSequence } from './shard-math.js';
import type { ShardMeta, StreamMeta } from './stream-schema.js';
import type { PutRecordInput, ShardPosition, ShardRead, StreamRecordRef } from './types.js';

/** The newest stored record of a shard. */
export interface ShardTip {
  seq: number;
  arrived: number;
}

/** Where a put's record went. */
export type AppendedRecord = { shardId: string; sequenceNumber: string };

export const HOUR_MS = 3_600_000;
const MAX_READ_BYTES = 10 * 1024 * 1024;
const MAX_READ_RECORDS = 10_000;
const TRIM_PAGE = 1000;
const BATCH_COLUMNS = 'last_seq, count, arrived, keys, sizes, data';

/** Record storage of every stream of one store. */
export class ShardRecords {
  #db: Db;
  #insert: Statement;
  #nextSeq: Statement;
  #lastInShard: Statement;
  #readFromSeq: Statement;
  #readFromTime: Statement;

  constructor(db: Db) {
    this.#db = db;
    this.#insert = db.prepare(
      'INSERT INTO kinesis_batches (last_seq, shard, count, arrived, keys, sizes, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#nextSeq = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'kinesis_batches'").pluck();
    this.#lastInShard = db.prepare(
      'SELECT last_seq AS seq, arrived FROM kinesis_batches WHERE shard = ? ORDER BY last_seq DESC LIMIT 1',
    );
    this.#readFromSeq = db.prepare(
      `SELECT ${BATCH_COLUMNS} FROM kinesis_batches WHERE shard = ? AND last_seq >= ? AND arrived >= ? ORDER BY last_seq`,
    );
    this.#readFromTime = db.prepare(
      `SELECT ${BATCH_COLUMNS} FROM kinesis_batches WHERE shard = ? AND arrived >= ? ORDER BY last_seq`,
    );
  }

  /** The engine-wide sequence counter: the last sequence number handed out (0 before any). */
  currentSeq(): number {
    return Number(this.#nextSeq.get() ?? 0);
  }

  /**
   * Appends records in one transaction: the records of each shard (indexes into `records`, shards
   * in the map's order) as one batch row with consecutive sequence numbers in request order.
   */
  append(byShard: Map<ShardMeta, number[]>, records: PutRecordInput[], arrived: number): AppendedRecord[] {
    const results: AppendedRecord[] = new Array(records.length);
    this.#db.transaction(() => {
      let last = this.currentSeq();
      for (const [shard, indexes] of byShard) {
        const first = last + 1;
        last += indexes.length;
        const batch = packBatch(indexes.map((i) => records[i] as PutRecordInput));
        this.#insert.run(last, shard.key, indexes.length, arrived, batch.keys, batch.sizes, batch.data);
        for (let n = 0; n < indexes.length; n++) {
          results[indexes[n] as number] = { shardId: shard.shardId, sequenceNumber: formatSequence(first + n) };
        }
      }
    })();
    return results;
  }

  /**
   * Reads up to `limit` records of one shard from `from`, hiding records older than the stream's
   * retention period at `now`. @throws InvalidStreamArgument for a bad position.
   */
  read(stream: StreamMeta, shard: ShardMeta, from: ShardPosition, limit: number, now: number): ShardRead {
    const cutoff = now - stream.retentionHours * HOUR_MS;
    const tip = this.tip(shard);
    const tipSeq = tip && tip.arrived >= cutoff ? tip.seq : undefined;
    if (from.latest) {
      const after = formatSequence(tipSeq ?? shard.startSeq - 1);
      return { records: [], millisBehindLatest: 0, shardClosed: shard.endSeq !== undefined, next: { after } };
    }
    const max = Math.min(Math.max(1, Math.floor(limit)), MAX_READ_RECORDS);
    const start = from.atTimestamp === undefined ? positionStart(from) : 0;
    const rows =
      from.atTimestamp === undefined
        ? this.#readFromSeq.iterate(shard.key, start, cutoff)
        : this.#readFromTime.iterate(shard.key, Math.max(from.atTimestamp, cutoff));
    const records: StreamRecordRef[] = [];
    let bytes = 0;
    let last: ShardTip | undefined;
    // Leaving the loop early ends the iteration (and frees the statement).
    reading: for (const row of rows as IterableIterator<BatchRow>) {
      for (const record of unpackBatch(row, start)) {
        if (records.length === max || (records.length > 0 && bytes + record.data.length > MAX_READ_BYTES)) {
          break reading;
        }
        bytes += record.data.length;
        records.push({
          streamName: stream.name,
          shardId: shard.shardId,
          sequenceNumber: formatSequence(record.seq),
          partitionKey: record.partitionKey,
          data: record.data,
          approximateArrivalTimestamp: row.arrived,
        });
        last = { seq: record.seq, arrived: row.arrived };
      }
    }
    // No retained record at or after the position means the reader is at the tip.
    const caughtUp = !last || tipSeq === undefined || last.seq >= tipSeq;
    return {
      records,
      millisBehindLatest: caughtUp || !last ? 0 : Math.max(0, now - last.arrived),
      shardClosed: shard.endSeq !== undefined && caughtUp,
      next: last ? { after: formatSequence(last.seq) } : { ...from },
    };
  }

  /** The newest stored record of a shard, retained or not. */
  tip(shard: ShardMeta): ShardTip | undefined {
    return this.#lastInShard.get(shard.key) as ShardTip | undefined;
  }

  /** Deletes the records of a stream's shards, inside the caller's transaction. */
  deleteShards(shards: ShardMeta[]): void {
    const del = this.#db.prepare('DELETE FROM kinesis_batches WHERE shard = ?');
    for (const shard of shards) del.run(shard.key);
  }

  /** Deletes the batches older than their stream's retention period at `now`; returns how many records went. */
  trim(streams: Iterable<StreamMeta>, now: number): number {
    const page = this.#db.prepare(
      `SELECT last_seq AS seq, count, arrived FROM kinesis_batches WHERE shard = ? AND last_seq > ? ORDER BY last_seq LIMIT ${TRIM_PAGE}`,
    );
    const del = this.#db.prepare('DELETE FROM kinesis_batches WHERE shard = ? AND last_seq <= ?');
    let deleted = 0;
    for (const stream of streams) {
      const cutoff = now - stream.retentionHours * HOUR_MS;
      for (const shard of stream.shards) {
        let upTo = -1;
        for (;;) {
          const rows = page.all(shard.key, upTo) as Array<{ seq: number; count: number; arrived: number }>;
          const fresh = rows.findIndex((row) => row.arrived >= cutoff);
          const expired = fresh === -1 ? rows : rows.slice(0, fresh);
          for (const row of expired) deleted += row.count;
          if (expired.length) upTo = (expired.at(-1) as { seq: number }).seq;
          if (fresh !== -1 || rows.length < TRIM_PAGE) break;
        }
        if (upTo >= 0) del.run(shard.key, upTo);
      }
    }
    return deleted;
  }
}
