/**
 * The master dataset: an immutable, append-only archive of a stream in the object store. An internal
 * consumer (the stream poller of event source mappings) hands each batch of a shard to the archiver
 * (archiver.ts), under the dataset's lock. Master objects refuse any other write or delete, through
 * every API, except the retention policy's deletes.
 */
import type { EventSourceMappings, StreamConsumer } from '../events/index.js';
import { purgeUnder } from '../jobs/index.js';
import type { EngineContext } from '../shared/context.js';
import { ResourceConflict } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { ObjectStore } from '../storage/objects/index.js';
import { eventsOf, type TimedEvent } from './archive-batch.js';
import { Archiver, type ArchiverDeps } from './archiver.js';
import { type DatasetInput, validateDataset } from './dataset-input.js';
import type { DatasetLocks } from './dataset-lock.js';
import { DatasetNotFound, MasterObjectImmutable } from './errors.js';
import type { DatasetConfig, DatasetInfo, ShardPosition } from './types.js';

/** A committed master object. */
export interface MasterObjectRow {
  key: string;
  /** The object's size as written (gzip bytes). */
  size: number;
  events: number;
  minTime: number;
  maxTime: number;
}

export interface MasterDatasetsOptions extends ArchiverDeps {
  mappings: EventSourceMappings;
  locks: DatasetLocks;
}

const RETENTION_SWEEP_MS = 10_000;
/** How often a journaled unit that keeps failing to complete is logged as a warning. */
const STUCK_WARN_MS = 5 * 60_000;

/** The master datasets of the engine. */
export class MasterDatasets {
  #options: MasterDatasetsOptions;
  #log: Logger;
  #configs = new Map<string, DatasetConfig>();
  #consumers = new Map<string, StreamConsumer>();
  /** `bucket\0key` of master objects being written or deleted by the archiver or retention. */
  #privileged = new Set<string>();
  #unguard?: () => void;
  #sweeper?: NodeJS.Timeout;
  #started = false;
  #archiver: Archiver;
  /** When a shard's journaled unit first failed to complete, and when that was last logged as a warning. */
  #stuckSince = new Map<string, { since: number; warned: number }>();
  /** Completions of journaled units started outside a batch (startup, sweep); awaited by `stop`. */
  #completing = new Set<Promise<void>>();
  #sql;

  constructor(context: EngineContext, options: MasterDatasetsOptions) {
    this.#options = options;
    this.#log = context.log.child({ component: 'datasets' });
    const db = context.db;
    this.#archiver = new Archiver(
      context,
      { ...options, privileged: this.#privileged, sealed: (name) => this.sealed(name) },
      this.#log,
    );
    this.#sql = {
      all: db.prepare<[], { name: string; config: string; created_at: number; sealed: number }>(
        'SELECT * FROM la_datasets ORDER BY name',
      ),
      one: db.prepare<[string], { name: string; config: string; created_at: number; sealed: number }>(
        'SELECT * FROM la_datasets WHERE name = ?',
      ),
      insert: db.prepare('INSERT INTO la_datasets (name, config, created_at) VALUES (?, ?, ?)'),
      seal: db.prepare('UPDATE la_datasets SET sealed = MAX(sealed, ?) WHERE name = ?'),
      shards: db.prepare<[string], ShardRow>('SELECT * FROM la_shards WHERE dataset = ? ORDER BY shard_id'),
      pendingAll: db.prepare<[string], { shard_id: string; last_seq: string }>(
        'SELECT shard_id, last_seq FROM la_pending WHERE dataset = ?',
      ),
      objects: db.prepare<
        [string, number],
        { object_key: string; bytes: number; events: number; min_time: number; max_time: number }
      >(
        'SELECT object_key, bytes, events, min_time, max_time FROM la_objects WHERE dataset = ? AND max_time >= ? ORDER BY object_key',
      ),
      totals: db.prepare<[string], { objects: number; bytes: number | null; events: number | null }>(
        'SELECT COUNT(*) AS objects, SUM(bytes) AS bytes, SUM(events) AS events FROM la_objects WHERE dataset = ?',
      ),
      expired: db.prepare<[string, number], { object_key: string }>(
        'SELECT object_key FROM la_objects WHERE dataset = ? AND hour < ?',
      ),
      dropObject: db.prepare('DELETE FROM la_objects WHERE dataset = ? AND object_key = ?'),
    };
  }

  async start(): Promise<void> {
    this.#started = true;
    for (const row of this.#sql.all.all()) this.#configs.set(row.name, JSON.parse(row.config) as DatasetConfig);
    this.#unguard = this.#options.objects.onCommit((event) => {
      if (this.#privileged.has(`${event.bucket}\0${event.key}`)) return;
      if (this.#masterOf(event.bucket, event.key)) throw new MasterObjectImmutable(event.bucket, event.key);
    });
    for (const config of this.#configs.values()) this.#startConsumer(config);
    this.#completeJournaled();
    this.#sweeper = setInterval(() => {
      this.#completeJournaled();
      void this.sweepRetention();
    }, RETENTION_SWEEP_MS);
    this.#sweeper.unref();
  }

  async stop(): Promise<void> {
    this.#started = false;
    clearInterval(this.#sweeper);
    const consumers = [...this.#consumers.values()];
    this.#consumers.clear();
    await Promise.all(consumers.map((c) => c.stop()));
    await Promise.all(this.#completing);
    this.#unguard?.();
  }

  /**
   * Creates a dataset and starts archiving its stream from the oldest record.
   * @throws InvalidParameterValue, ResourceNotFound (stream), ResourceConflict (name taken)
   */
  create(input: DatasetInput): DatasetInfo {
    const config = validateDataset(input, this.#options.streams);
    if (this.#sql.one.get(config.name)) throw new ResourceConflict(`Dataset already exists: ${config.name}`);
    const objects = this.#options.objects;
    if (!objects.listBuckets().some((b) => b.name === config.bucket)) objects.createBucket(config.bucket);
    this.#sql.insert.run(config.name, JSON.stringify(config), Date.now());
    this.#configs.set(config.name, config);
    this.#startConsumer(config);
    return this.info(config.name);
  }

  /** The object store master objects live in. */
  get objectStore(): ObjectStore {
    return this.#options.objects;
  }

  /** Every dataset with its state. */
  list(): DatasetInfo[] {
    return this.#sql.all.all().map((row) => this.info(row.name));
  }

  /** A dataset's configuration. @throws DatasetNotFound */
  config(name: string): DatasetConfig {
    const config = this.#configs.get(name);
    if (!config) throw new DatasetNotFound(name);
    return config;
  }

  /** A dataset with its archive state. @throws DatasetNotFound */
  info(name: string): DatasetInfo {
    const row = this.#sql.one.get(name);
    if (!row) throw new DatasetNotFound(name);
    const shards = this.shards(name);
    const totals = this.#sql.totals.get(name) ?? { objects: 0, bytes: 0, events: 0 };
    return {
      ...(JSON.parse(row.config) as DatasetConfig),
      createdAt: row.created_at,
      objects: totals.objects,
      bytes: totals.bytes ?? 0,
      events: shards.reduce((n, s) => n + s.events, 0),
      rejected: shards.reduce((n, s) => n + s.rejected, 0),
      shards,
      completeUpTo: completeUpTo(shards),
      sealed: row.sealed,
    };
  }

  /** Per-shard archive positions (also the speed layer's checkpoints). */
  shards(name: string): ShardPosition[] {
    return this.#sql.shards.all(name).map((r) => ({
      shardId: r.shard_id,
      archivedSequence: r.archived_seq,
      archivedEventTime: r.archived_time,
      events: r.events,
      rejected: r.rejected,
    }));
  }

  /**
   * Per shard, the last sequence number the speed layer has applied: the archive position, or past it
   * while a batch's objects are still being written.
   */
  speedPositions(name: string): Map<string, string> {
    const positions = new Map(this.shards(name).map((s) => [s.shardId, s.archivedSequence]));
    for (const row of this.#sql.pendingAll.all(name)) positions.set(row.shard_id, row.last_seq);
    return positions;
  }

  /** The highest horizon sealed so far. */
  sealed(name: string): number {
    return this.#sql.one.get(name)?.sealed ?? 0;
  }

  /**
   * The latest horizon a recompute may seal now (call under the dataset's lock): where every shard's
   * archive is complete, and below every event of a unit still pending (counted by the speed layer,
   * not yet in the master dataset). Pending units are completed first where the store allows.
   */
  async sealableUpTo(name: string): Promise<number> {
    const config = this.config(name);
    for (const shardId of this.#archiver.journaledShards(name)) {
      try {
        await this.#archiver.completeFromJournal(config, shardId);
      } catch (err) {
        this.#stuck(name, shardId, err);
      }
    }
    return Math.min(this.info(name).completeUpTo, this.#archiver.pendingFloor(name, this.sealed(name)));
  }

  /** Records with a time below `horizon` are late from now on (call under the dataset's lock). */
  seal(name: string, horizon: number): void {
    this.#sql.seal.run(horizon, name);
  }

  /** Committed master objects that may hold events at or after `minTime`. */
  objects(name: string, minTime = Number.NEGATIVE_INFINITY): MasterObjectRow[] {
    return this.#sql.objects
      .all(name, Number.isFinite(minTime) ? minTime : -Number.MAX_SAFE_INTEGER)
      .map((r) => ({ key: r.object_key, size: r.bytes, events: r.events, minTime: r.min_time, maxTime: r.max_time }));
  }

  /** Reads the events of committed master objects (for seeding a new view's speed layer). */
  async readEvents(name: string, keys: string[]): Promise<TimedEvent[]> {
    const config = this.config(name);
    const events: TimedEvent[] = [];
    for (const key of keys) {
      const { body } = await this.#options.objects.getObject(config.bucket, key);
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      for (const event of eventsOf(Buffer.concat(chunks), config.timeField)) events.push(event);
    }
    return events;
  }

  /**
   * How far the speed layer is behind the stream: the age of the oldest record not yet applied, over
   * shards (0 when every record is applied).
   */
  lagMs(name: string, now = Date.now()): number {
    const config = this.config(name);
    const streams = this.#options.streams;
    const done = this.speedPositions(name);
    let lag = 0;
    try {
      for (const shard of streams.listShards(config.stream)) {
        const after = done.get(shard.shardId);
        const next = streams.readShard(config.stream, shard.shardId, after ? { after } : {}, 1).records[0];
        if (next) lag = Math.max(lag, now - next.approximateArrivalTimestamp, 1);
      }
    } catch (err) {
      this.#log.debug('cannot measure the archive lag', { dataset: name, err });
    }
    return lag;
  }

  /** Deletes master objects older than their dataset's retention: the only deletes master objects allow. */
  async sweepRetention(now = Date.now()): Promise<number> {
    let deleted = 0;
    for (const config of this.#configs.values()) {
      if (!config.retention) continue;
      const cutoff = now - config.retention.hours * 3_600_000;
      for (const { object_key } of this.#sql.expired.all(config.name, cutoff - 3_600_000)) {
        const id = `${config.bucket}\0${object_key}`;
        this.#privileged.add(id);
        try {
          // Every version, so that a bucket with versioning keeps none of what retention deletes.
          await purgeUnder(this.#options.objects, config.bucket, object_key, (key) => key === object_key);
          this.#sql.dropObject.run(config.name, object_key);
          deleted++;
        } catch (err) {
          this.#log.warn('retention could not delete a master object', { key: object_key, err });
        } finally {
          this.#privileged.delete(id);
        }
      }
    }
    return deleted;
  }

  #masterOf(bucket: string, key: string): DatasetConfig | undefined {
    for (const config of this.#configs.values())
      if (config.bucket === bucket && key.startsWith(config.prefix)) return config;
    return undefined;
  }

  #startConsumer(config: DatasetConfig): void {
    if (!this.#started || this.#consumers.has(config.name)) return;
    try {
      const consumer = this.#options.mappings.consume({
        id: `dataset-${config.name}`,
        streamName: config.stream,
        batchSize: config.batchSize,
        handle: (records) => this.#options.locks.run(config.name, () => this.#archiver.archive(config, records)),
      });
      this.#consumers.set(config.name, consumer);
    } catch (err) {
      this.#log.error('cannot start the archiver', { dataset: config.name, err });
    }
  }

  /**
   * Logs a journaled unit that cannot complete yet: a warning at the first failure and every
   * STUCK_WARN_MS while it lasts (the sweep retries every RETENTION_SWEEP_MS), debug in between.
   */
  #stuck(dataset: string, shardId: string, err: unknown): void {
    const id = `${dataset}\0${shardId}`;
    const now = Date.now();
    const state = this.#stuckSince.get(id) ?? { since: now, warned: 0 };
    this.#stuckSince.set(id, state);
    const fields = { dataset, shardId, pendingForMs: now - state.since, err };
    if (now - state.warned < STUCK_WARN_MS) {
      this.#log.debug('a pending archive unit is still stuck', fields);
      return;
    }
    state.warned = now;
    this.#log.warn('cannot complete a pending archive unit yet', fields);
  }

  /**
   * Completes, each under its dataset's lock, the journaled units of every dataset (a failure is
   * logged: the unit stays, and the shard's next batch or the next sweep tries again).
   */
  #completeJournaled(): void {
    const units = [...this.#configs.values()].flatMap((config) =>
      this.#archiver.journaledShards(config.name).map((shardId) => ({ config, shardId })),
    );
    const ids = new Set(units.map((u) => `${u.config.name}\0${u.shardId}`));
    for (const id of this.#stuckSince.keys()) if (!ids.has(id)) this.#stuckSince.delete(id);
    for (const { config, shardId } of units) {
      const run: Promise<void> = this.#options.locks
        .run(config.name, () => this.#archiver.completeFromJournal(config, shardId))
        .catch((err) => this.#stuck(config.name, shardId, err))
        .finally(() => this.#completing.delete(run));
      this.#completing.add(run);
    }
  }
}

interface ShardRow {
  dataset: string;
  shard_id: string;
  archived_seq: string;
  archived_time: number;
  events: number;
  rejected: number;
}

/** Min over shards of their archived event time (0 before any). */
function completeUpTo(shards: ShardPosition[]): number {
  if (shards.length === 0) return 0;
  return Math.min(...shards.map((s) => s.archivedEventTime));
}
