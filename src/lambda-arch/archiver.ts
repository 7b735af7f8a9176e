/**
 * The archiver: commits each batch of a shard to the master dataset in two SQLite transactions. First
 * the speed-layer updates with a `la_pending` mark (the shard's speed position, and which views it was
 * applied to) and a journal of what the second commit needs (the objects' names and bodies, the
 * refused records), so a query sees the batch without waiting for the object store's fsyncs; then,
 * once the batch's objects are written, their rows, the shard's archive position and the failure
 * records, clearing the mark and the journal. A crash or failure in between leaves both, and the unit
 * is completed from the journal (at startup, before the shard's next batch, and on the periodic sweep)
 * without needing the stream to still hold its records. A mark left by a version without a journal is
 * redone from the redelivered batch, cut the same way (same names, same bytes), skipping the views it
 * was already applied to.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { BatchOutcome } from '../events/index.js';
import type { Deliveries } from '../invoke/index.js';
import type { EngineContext } from '../shared/context.js';
import type { Logger } from '../shared/log.js';
import type { ObjectStore } from '../storage/objects/index.js';
import type { StreamRecordRef, StreamStore } from '../storage/streams/index.js';
import { contentTypeOf, eventsOf, linesOf, planArchive, type TimedEvent } from './archive-batch.js';
import { ArchiveJournal, type ArchiveUnit } from './archive-journal.js';
import type { DatasetConfig } from './types.js';

/**
 * Folds a batch's accepted events for the speed layer of the dataset's views except `skip` (user code
 * runs in their functions, before the transaction), and answers the views folded and what the speed
 * transaction calls to merge the result. Called under the dataset's lock, so the set of views cannot
 * change in between.
 */
export type SpeedUpdate = (
  dataset: string,
  events: TimedEvent[],
  skip: ReadonlySet<string>,
) => Promise<{ views: string[]; apply: () => void }>;

/** What the archiver writes to and tells: the master datasets pass theirs on. */
export interface ArchiverDeps {
  objects: ObjectStore;
  streams: StreamStore;
  deliveries: Pick<Deliveries, 'send'>;
  speed: SpeedUpdate;
  /** Called after every committed batch (for change events). */
  onArchived(dataset: string): void;
}

export interface ArchiverOptions extends ArchiverDeps {
  /** `bucket\0key` of master objects being written by the archiver: the immutability guard lets them by. */
  privileged: Set<string>;
  /** A dataset's sealed horizon: events below it are late. */
  sealed(dataset: string): number;
}

/** Archives the batches of every dataset's shards. */
export class Archiver {
  #context: EngineContext;
  #options: ArchiverOptions;
  #log: Logger;
  #journal: ArchiveJournal;
  #sql;

  constructor(context: EngineContext, options: ArchiverOptions, log: Logger) {
    this.#context = context;
    this.#options = options;
    this.#log = log;
    const db = context.db;
    this.#journal = new ArchiveJournal(db);
    this.#sql = {
      shard: db.prepare<[string, string], { archived_seq: string }>(
        'SELECT archived_seq FROM la_shards WHERE dataset = ? AND shard_id = ?',
      ),
      saveShard: db.prepare(
        `INSERT INTO la_shards (dataset, shard_id, archived_seq, archived_time, events, rejected) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(dataset, shard_id) DO UPDATE SET archived_seq = excluded.archived_seq,
           archived_time = MAX(archived_time, excluded.archived_time), events = events + excluded.events,
           rejected = rejected + excluded.rejected`,
      ),
      pending: db.prepare<[string, string], { last_seq: string }>(
        'SELECT last_seq FROM la_pending WHERE dataset = ? AND shard_id = ?',
      ),
      pendingShards: db.prepare<[string], { shard_id: string }>('SELECT shard_id FROM la_pending WHERE dataset = ?'),
      setPending: db.prepare('INSERT OR REPLACE INTO la_pending (dataset, shard_id, last_seq) VALUES (?, ?, ?)'),
      clearPending: db.prepare('DELETE FROM la_pending WHERE dataset = ? AND shard_id = ?'),
      applied: db.prepare<[string, string], { view: string }>(
        'SELECT view FROM la_speed_applied WHERE dataset = ? AND shard_id = ?',
      ),
      addApplied: db.prepare('INSERT OR IGNORE INTO la_speed_applied (dataset, shard_id, view) VALUES (?, ?, ?)'),
      clearApplied: db.prepare('DELETE FROM la_speed_applied WHERE dataset = ? AND shard_id = ?'),
      addObject: db.prepare(
        `INSERT OR IGNORE INTO la_objects (dataset, object_key, shard_id, events, bytes, min_time, max_time, hour)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
    };
  }

  /** Shards of a dataset with a journaled unit waiting for its second commit. */
  journaledShards(dataset: string): string[] {
    return this.#journal.shards(dataset);
  }

  /**
   * The earliest event time the dataset's pending units may hold (Infinity when none is pending): the
   * speed layer counted them and the master dataset does not hold them yet, so a horizon above it
   * would drop them from the speed layer with no batch version counting them. A mark without a
   * journal (an earlier version's) holds unknown events, no older than the horizon sealed when its
   * batch was judged: no older than `sealed`.
   */
  pendingFloor(dataset: string, sealed: number): number {
    const oldest = this.#journal.oldestEvent(dataset) ?? Number.POSITIVE_INFINITY;
    const marks = this.#sql.pendingShards.all(dataset).map((r) => r.shard_id);
    const journaled = new Set(this.#journal.shards(dataset));
    return marks.some((shard) => !journaled.has(shard)) ? Math.min(oldest, sealed) : oldest;
  }

  /**
   * Writes and commits a shard's journaled unit, if it has one (call under the dataset's lock). The
   * unit's events, read back from its journaled objects, are folded into the views its mark does not
   * list (a view created meanwhile was seeded from the archive, which lacked them), in its commit.
   */
  async completeFromJournal(config: DatasetConfig, shardId: string): Promise<void> {
    const pending = this.#sql.pending.get(config.name, shardId)?.last_seq;
    if (pending === undefined) return;
    const unit = this.#journal.read(config.name, config.stream, shardId, pending);
    if (!unit) return;
    const applied = new Set(this.#sql.applied.all(config.name, shardId).map((r) => r.view));
    const events = unit.objects.flatMap((o) => eventsOf(o.body, config.timeField));
    const speed = await this.#options.speed(config.name, events, applied);
    await this.#finish(config, shardId, unit, speed.apply);
  }

  /** Archives a batch of one shard (call under the dataset's lock). */
  async archive(config: DatasetConfig, records: StreamRecordRef[]): Promise<BatchOutcome> {
    const shardId = (records[0] as StreamRecordRef).shardId;
    // A unit journaled by an earlier batch commits first: its records may be gone from the stream.
    await this.completeFromJournal(config, shardId);
    const done = this.#sql.shard.get(config.name, shardId);
    const fresh = done ? records.filter((r) => BigInt(r.sequenceNumber) > BigInt(done.archived_seq)) : records;
    if (fresh.length === 0) return { kind: 'success' };
    // A mark without a journal (an earlier version's) is redone with exactly the same records.
    const pending = this.#sql.pending.get(config.name, shardId)?.last_seq;
    if (pending !== undefined) {
      const cut = BigInt(pending);
      const first = fresh.filter((r) => BigInt(r.sequenceNumber) <= cut);
      if (first.length > 0) await this.#archiveUnit(config, shardId, first, true);
      const rest = fresh.filter((r) => BigInt(r.sequenceNumber) > cut);
      if (rest.length > 0) await this.#archiveUnit(config, shardId, rest, false);
    } else {
      await this.#archiveUnit(config, shardId, fresh, false);
    }
    this.#options.onArchived(config.name);
    return { kind: 'success' };
  }

  /**
   * Archives one unit of a shard's records; `redo` when it is the unit a `la_pending` mark without a
   * journal names.
   */
  async #archiveUnit(config: DatasetConfig, shardId: string, records: StreamRecordRef[], redo: boolean): Promise<void> {
    const db = this.#context.db;
    const sql = this.#sql;
    const plan = planArchive(records, {
      prefix: config.prefix,
      timeField: config.timeField,
      sealed: this.#options.sealed(config.name),
      compression: config.compression ?? 'gzip',
    });
    const unit: ArchiveUnit = {
      last: (records[records.length - 1] as StreamRecordRef).sequenceNumber,
      objects: plan.objects,
      refused: plan.refused,
      accepted: plan.accepted.length,
      maxTime: plan.accepted.reduce((m, e) => Math.max(m, e.time), 0),
    };
    if (plan.accepted.length > 0) {
      const applied = new Set(redo ? sql.applied.all(config.name, shardId).map((r) => r.view) : []);
      // Folded before anything is written: a view function that fails fails the batch, which is retried.
      const speed = await this.#options.speed(config.name, plan.accepted, applied);
      // The speed layer's update and its position commit together: queries see the batch from here on.
      // The journal makes the unit complete-able without the stream's records.
      db.transaction(() => {
        sql.setPending.run(config.name, shardId, unit.last);
        for (const view of speed.views) sql.addApplied.run(config.name, shardId, view);
        this.#journal.write(config.name, shardId, unit);
        speed.apply();
      })();
    }
    await this.#finish(config, shardId, unit);
  }

  /**
   * The second commit of a unit: writes its objects, then commits their rows and the shard's position
   * (with `applySpeed`, the speed updates of views the first commit did not reach).
   */
  async #finish(config: DatasetConfig, shardId: string, unit: ArchiveUnit, applySpeed?: () => void): Promise<void> {
    const sql = this.#sql;
    for (const object of unit.objects) await this.#writeObject(config, object.key, object.body);
    this.#context.db.transaction(() => {
      for (const o of unit.objects)
        sql.addObject.run(config.name, o.key, shardId, o.events, o.body.length, o.minTime, o.maxTime, o.hour);
      sql.saveShard.run(config.name, shardId, unit.last, unit.maxTime, unit.accepted, unit.refused.length);
      sql.clearPending.run(config.name, shardId);
      sql.clearApplied.run(config.name, shardId);
      this.#journal.clear(config.name, shardId);
      applySpeed?.();
      this.#refuse(config, shardId, unit.refused);
    })();
  }

  /** Writes one master object; an existing one must hold the same bytes (a redelivered batch). */
  async #writeObject(config: DatasetConfig, key: string, body: Buffer): Promise<void> {
    const objects = this.#options.objects;
    const md5 = createHash('md5').update(body).digest('hex');
    try {
      const existing = objects.headObject(config.bucket, key);
      if (existing.etag.replaceAll('"', '') === md5) return;
      if (await this.#sameEvents(config, key, body)) return;
      throw new Error(`master object ${key} exists with other events`);
    } catch (err) {
      if ((err as { code?: string }).code !== 'NoSuchKey') throw err;
    }
    const id = `${config.bucket}\0${key}`;
    this.#options.privileged.add(id);
    try {
      await objects.putObject(config.bucket, key, body, { contentType: contentTypeOf(key) });
    } finally {
      this.#options.privileged.delete(id);
    }
  }

  /**
   * True when the stored object holds the same events as `body`: a batch archived by an earlier
   * version (another gzip level or line encoding) and redone after an upgrade keeps its object.
   */
  async #sameEvents(config: DatasetConfig, key: string, body: Buffer): Promise<boolean> {
    const chunks: Buffer[] = [];
    for await (const chunk of (await this.#options.objects.getObject(config.bucket, key)).body) chunks.push(chunk);
    const events = (stored: Buffer) =>
      linesOf(stored)
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as unknown);
    return isDeepStrictEqual(events(Buffer.concat(chunks)), events(body));
  }

  /** Sends each refused record to the dataset's failure destination, with its reason. */
  #refuse(config: DatasetConfig, shardId: string, refused: ArchiveUnit['refused']): void {
    if (refused.length === 0) return;
    if (!config.onFailure) {
      this.#log.warn('events refused (the dataset has no failure destination)', {
        dataset: config.name,
        count: refused.length,
        reason: refused[0]?.reason,
      });
      return;
    }
    const streamArn = this.#options.streams.streamArn(config.stream);
    for (const { record, reason } of refused) {
      this.#options.deliveries.send(config.onFailure, {
        requestContext: { condition: 'InvalidEvent', functionArn: `dataset:${config.name}`, approximateInvokeCount: 1 },
        responseContext: { statusCode: 400, functionError: 'InvalidEvent' },
        version: '1.0',
        timestamp: new Date().toISOString(),
        reason,
        KinesisBatchInfo: {
          shardId,
          startSequenceNumber: record.sequenceNumber,
          endSequenceNumber: record.sequenceNumber,
          approximateArrivalOfFirstRecord: new Date(record.approximateArrivalTimestamp).toISOString(),
          approximateArrivalOfLastRecord: new Date(record.approximateArrivalTimestamp).toISOString(),
          batchSize: 1,
          streamArn,
        },
        record: {
          partitionKey: record.partitionKey,
          sequenceNumber: record.sequenceNumber,
          data: record.data.toString('base64'),
        },
      });
    }
  }
}
