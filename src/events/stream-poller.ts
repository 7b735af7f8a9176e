import { createHash } from 'node:crypto';
import type { Deliveries, Invoker } from '../invoke/index.js';
import type { Logger } from '../shared/log.js';
import { type BatchOutcome, outcomeOf, processInOrder } from './batch.js';
import { failureRecord } from './failure-records.js';
import type { MappingStore } from './mapping-store.js';
import type { MappingConfig, MappingStatus } from './mapping-types.js';
import type { ShardBatch, ShardSource, SourceShard } from './shard-sources.js';
import { Waiter } from './waiter.js';

/** What a stream poller needs. */
export interface StreamPollerDeps<R> {
  source: ShardSource<R>;
  /** Builds the function's event from a batch. */
  event(records: R[]): unknown;
  invoker: Invoker;
  /** Where failure records go (durably, at least once) before the checkpoint moves past them. */
  deliveries: Pick<Deliveries, 'send'>;
  store: MappingStore;
  log: Logger;
  trigger: 'kinesis' | 'dynamodb';
  /** Records the result of each invocation on the mapping (LastProcessingResult). */
  onResult(ok: boolean): void;
  /** An engine-internal consumer: handles each batch in process instead of invoking the function. */
  handle?(records: R[]): Promise<BatchOutcome>;
}

/** Idle shards still re-check this often, in case a wake-up was missed. */
const IDLE_POLL_MS = 1000;

/**
 * Reads every shard of a stream (or table change stream) for one mapping, in order, parents
 * before children, invoking the function with batches and committing a checkpoint only after a
 * batch succeeded or was given up on — so a restart resumes at least once, without loss.
 */
export class StreamPoller<R> {
  #mapping: MappingConfig;
  #deps: StreamPollerDeps<R>;
  #abort = new AbortController();
  #waiter = new Waiter();
  #running = new Map<string, Promise<void>>();
  #behind = new Map<string, number>();
  #unsubscribe?: () => void;
  #invocations = 0;
  #failures = 0;

  constructor(mapping: MappingConfig, deps: StreamPollerDeps<R>) {
    this.#mapping = mapping;
    this.#deps = deps;
  }

  /** Saves the starting position of every shard that has none yet (LATEST is fixed at creation). */
  initialize(): void {
    for (const shard of this.#deps.source.listShards()) {
      if (!this.#deps.store.checkpoint(this.#mapping.uuid, shard.shardId)) {
        this.#deps.store.saveCheckpoint(this.#mapping.uuid, shard.shardId, {
          ...this.#deps.source.initialPosition(shard.shardId),
          finished: false,
        });
      }
    }
  }

  start(): void {
    this.#unsubscribe = this.#deps.source.subscribe((shardId) => {
      if (shardId !== undefined && !this.#running.has(shardId)) this.#scan();
      this.#waiter.wake();
    });
    this.#scan();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.#unsubscribe?.();
    await Promise.allSettled([...this.#running.values()]);
  }

  status(): MappingStatus {
    return {
      lag: Math.max(0, ...this.#behind.values()),
      activeShards: [...this.#running.keys()],
      invocations: this.#invocations,
      failures: this.#failures,
    };
  }

  /** Starts a loop for every unfinished shard whose parents are finished (or gone). */
  #scan(): void {
    if (this.#abort.signal.aborted) return;
    let shards: SourceShard[];
    try {
      shards = this.#deps.source.listShards();
    } catch (err) {
      this.#deps.log.warn('cannot list shards', { err });
      return;
    }
    const known = new Set(shards.map((s) => s.shardId));
    for (const shard of shards) {
      if (this.#running.has(shard.shardId)) continue;
      if (this.#deps.store.checkpoint(this.#mapping.uuid, shard.shardId)?.finished) continue;
      const ready = shard.parents.every(
        (p) => !known.has(p) || this.#deps.store.checkpoint(this.#mapping.uuid, p)?.finished,
      );
      if (!ready) continue;
      const loop = this.#runShard(shard.shardId)
        .catch((err) =>
          this.#deps.log.error('shard poller failed', { uuid: this.#mapping.uuid, shardId: shard.shardId, err }),
        )
        .finally(() => {
          this.#running.delete(shard.shardId);
          this.#scan();
        });
      this.#running.set(shard.shardId, loop);
    }
  }

  async #runShard(shardId: string): Promise<void> {
    const { store, source } = this.#deps;
    const m = this.#mapping;
    const signal = this.#abort.signal;
    const saved = store.checkpoint(m.uuid, shardId);
    let position = saved ? { after: saved.after, atTimestamp: saved.atTimestamp } : source.initialPosition(shardId);
    const limit = m.batchSize * m.parallelizationFactor;
    while (!signal.aborted) {
      let read: ShardBatch<R>;
      try {
        read = source.read(shardId, position, limit);
      } catch (err) {
        // The stream or table may be gone or being changed: wait rather than spin.
        this.#deps.log.warn('cannot read shard', { uuid: m.uuid, shardId, err });
        await this.#waiter.wait(IDLE_POLL_MS, signal);
        continue;
      }
      this.#behind.set(shardId, read.millisBehindLatest);
      if (read.records.length === 0) {
        if (read.closed) {
          store.saveCheckpoint(m.uuid, shardId, { ...position, finished: true });
          return;
        }
        await this.#waiter.wait(IDLE_POLL_MS, signal);
        continue;
      }
      if (read.records.length < limit && m.maximumBatchingWindowInSeconds > 0) {
        const deadline = Date.now() + m.maximumBatchingWindowInSeconds * 1000;
        while (read.records.length < limit && Date.now() < deadline && !signal.aborted) {
          await this.#waiter.wait(deadline - Date.now(), signal);
          read = source.read(shardId, position, limit);
        }
      }
      if (signal.aborted) return;
      const records = read.records;
      const commit = (record: R) => {
        position = { after: source.sequenceOf(record) };
        store.saveCheckpoint(m.uuid, shardId, { ...position, finished: false });
      };
      const lanes = this.#lanes(records);
      const results = await Promise.all(
        lanes.map((lane) => processInOrder(lane, this.#laneOptions(shardId, lanes.length === 1 ? commit : () => {}))),
      );
      if (!results.every(Boolean)) return;
      commit(records[records.length - 1] as R);
    }
  }

  /** Splits records into ParallelizationFactor lanes by partition key, keeping each key's order. */
  #lanes(records: R[]): R[][] {
    const n = this.#mapping.parallelizationFactor;
    if (n <= 1) return [records];
    const lanes: R[][] = Array.from({ length: n }, () => []);
    for (const r of records) {
      const lane = createHash('md5').update(this.#deps.source.partitionKeyOf(r)).digest().readUInt32BE(0) % n;
      lanes[lane]?.push(r);
    }
    return lanes.filter((l) => l.length > 0);
  }

  #settle(outcome: BatchOutcome): BatchOutcome {
    if (outcome.kind !== 'success') this.#failures += 1;
    this.#deps.onResult(outcome.kind === 'success');
    return outcome;
  }

  #laneOptions(shardId: string, done: (record: R) => void) {
    const m = this.#mapping;
    const { source, invoker, log } = this.#deps;
    return {
      batchSize: m.batchSize,
      maximumRetryAttempts: m.maximumRetryAttempts,
      maximumRecordAgeInSeconds: m.maximumRecordAgeInSeconds,
      bisectBatchOnFunctionError: m.bisectBatchOnFunctionError,
      itemId: (r: R) => source.sequenceOf(r),
      arrival: (r: R) => source.arrivalOf(r),
      now: Date.now,
      signal: this.#abort.signal,
      done,
      invoke: async (records: R[]): Promise<BatchOutcome> => {
        this.#invocations += 1;
        let outcome: BatchOutcome;
        try {
          if (this.#deps.handle) return this.#settle(await this.#deps.handle(records));
          const result = await invoker.invoke({
            functionName: m.functionArn,
            payload: JSON.stringify(this.#deps.event(records)),
            invocationType: 'RequestResponse',
            trigger: this.#deps.trigger,
          });
          outcome = outcomeOf(result, m.reportBatchItemFailures);
        } catch (error) {
          log.warn('batch invocation failed', { uuid: m.uuid, shardId, error });
          outcome = { kind: 'failed', error };
        }
        return this.#settle(outcome);
      },
      discard: async (
        records: R[],
        condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded',
        outcome: BatchOutcome | undefined,
        attempts: number,
      ) => {
        const first = records[0] as R;
        const last = records[records.length - 1] as R;
        log.warn('records given up on', { uuid: m.uuid, shardId, condition, count: records.length });
        if (!m.onFailureDestination) return;
        const record = failureRecord({
          functionArn: m.functionArn,
          condition,
          attempts,
          outcome,
          batchInfoKey: source.batchInfoKey,
          shardId,
          streamArn: m.eventSourceArn,
          startSequenceNumber: source.sequenceOf(first),
          endSequenceNumber: source.sequenceOf(last),
          firstArrival: source.arrivalOf(first),
          lastArrival: source.arrivalOf(last),
          batchSize: records.length,
        });
        try {
          this.#deps.deliveries.send(m.onFailureDestination, record);
        } catch (err) {
          log.error('could not queue the failure record', { uuid: m.uuid, destination: m.onFailureDestination, err });
        }
      },
    };
  }
}
