/**
 * The journal of an archive unit between its two commits. The first commit (the speed layer's update
 * and the shard's `la_pending` mark) also stores what the second one needs: the unit's master objects
 * (names, gzip bodies, sizes and times) and its refused records with their reasons. So a unit whose
 * object writes fail until the stream has trimmed its records is still completed, from here, and the
 * events the speed layer counted reach the master dataset. The second commit deletes the rows.
 */
import type { Db } from '../state/index.js';
import type { MasterObject, RefusedRecord } from './archive-batch.js';

/** An archive unit of one shard: what its second commit writes. */
export interface ArchiveUnit {
  /** The unit's last sequence number: the shard's archive position once it commits. */
  last: string;
  objects: MasterObject[];
  refused: RefusedRecord[];
  /** Accepted events (the sum of the objects' events). */
  accepted: number;
  /** The latest accepted event time (0 when none). */
  maxTime: number;
}

/** Journaled units, one per (dataset, shard) at most. */
export class ArchiveJournal {
  #sql;

  constructor(db: Db) {
    this.#sql = {
      addObject: db.prepare(
        `INSERT OR REPLACE INTO la_pending_objects (dataset, shard_id, object_key, body, events, min_time, max_time, hour)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      addRefused: db.prepare(
        `INSERT OR REPLACE INTO la_pending_refused (dataset, shard_id, position, sequence, partition_key, arrived, data, reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      objects: db.prepare<[string, string], PendingObjectRow>(
        'SELECT * FROM la_pending_objects WHERE dataset = ? AND shard_id = ? ORDER BY object_key',
      ),
      refused: db.prepare<[string, string], PendingRefusedRow>(
        'SELECT * FROM la_pending_refused WHERE dataset = ? AND shard_id = ? ORDER BY position',
      ),
      oldest: db.prepare<[string], { t: number | null }>(
        'SELECT MIN(min_time) AS t FROM la_pending_objects WHERE dataset = ?',
      ),
      shards: db.prepare<[string], { shard_id: string }>(
        'SELECT DISTINCT shard_id FROM la_pending_objects WHERE dataset = ?',
      ),
      dropObjects: db.prepare('DELETE FROM la_pending_objects WHERE dataset = ? AND shard_id = ?'),
      dropRefused: db.prepare('DELETE FROM la_pending_refused WHERE dataset = ? AND shard_id = ?'),
    };
  }

  /** Stores a unit; call inside the first commit's transaction. */
  write(dataset: string, shardId: string, unit: ArchiveUnit): void {
    for (const o of unit.objects)
      this.#sql.addObject.run(dataset, shardId, o.key, o.body, o.events, o.minTime, o.maxTime, o.hour);
    unit.refused.forEach(({ record, reason }, position) => {
      this.#sql.addRefused.run(
        dataset,
        shardId,
        position,
        record.sequenceNumber,
        record.partitionKey,
        record.approximateArrivalTimestamp,
        record.data,
        reason,
      );
    });
  }

  /**
   * The journaled unit of a shard whose mark is at `last`, or undefined when there is none: a mark
   * left by a version without a journal has no rows (a journaled unit always has an object, since
   * only a unit with accepted events sets the mark), and is redone from the stream's records.
   */
  read(dataset: string, streamName: string, shardId: string, last: string): ArchiveUnit | undefined {
    const objects = this.#sql.objects.all(dataset, shardId).map(
      (r): MasterObject => ({
        key: r.object_key,
        body: r.body,
        events: r.events,
        minTime: r.min_time,
        maxTime: r.max_time,
        hour: r.hour,
      }),
    );
    if (objects.length === 0) return undefined;
    const refused = this.#sql.refused.all(dataset, shardId).map(
      (r): RefusedRecord => ({
        record: {
          streamName,
          shardId,
          sequenceNumber: r.sequence,
          partitionKey: r.partition_key,
          data: r.data,
          approximateArrivalTimestamp: r.arrived,
        },
        reason: r.reason,
      }),
    );
    return {
      last,
      objects,
      refused,
      accepted: objects.reduce((n, o) => n + o.events, 0),
      maxTime: objects.reduce((m, o) => Math.max(m, o.maxTime), 0),
    };
  }

  /** Shards of a dataset with a journaled unit. */
  shards(dataset: string): string[] {
    return this.#sql.shards.all(dataset).map((r) => r.shard_id);
  }

  /** The earliest event time of a dataset's journaled units (undefined when it has none). */
  oldestEvent(dataset: string): number | undefined {
    return this.#sql.oldest.get(dataset)?.t ?? undefined;
  }

  /** Deletes a shard's unit; call inside the second commit's transaction. */
  clear(dataset: string, shardId: string): void {
    this.#sql.dropObjects.run(dataset, shardId);
    this.#sql.dropRefused.run(dataset, shardId);
  }
}

interface PendingObjectRow {
  object_key: string;
  body: Buffer;
  events: number;
  min_time: number;
  max_time: number;
  hour: number;
}

interface PendingRefusedRow {
  sequence: string;
  partition_key: string;
  arrived: number;
  data: Buffer;
  reason: string;
}
