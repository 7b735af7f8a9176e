import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deliveries, Invoker } from '../invoke/index.js';
import type { Logger } from '../shared/log.js';
import { type BatchOutcome, outcomeOf, processInOrder } from './batch.js';
import { failureRecord } from './failure-records.js';
import type { MappingStore } from './mapping-store.js';
import type { MappingConfig, MappingStatus } from './mapping-types.js';
import type { ShardBatch, ShardSource, SourceShard } from './shard-sources.js';
import {
  leadingWindow,
  stateTooLarge,
  type WindowState,
  windowFields,
  windowOutcome,
  windowStart,
} from './tumbling-window.js';
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
/** The longest pause between retries of a window's final invocation. */
const FINAL_BACKOFF_MAX_MS = 1000;

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
    const seconds = m.tumblingWindowInSeconds ?? 0;
    const saved = store.checkpoint(m.uuid, shardId);
    let position = saved ? { after: saved.after, atTimestamp: saved.atTimestamp } : source.initialPosition(shardId);
    // The open tumbling window and its state travel with the checkpoint, so a restart resumes both.
    const open: { window?: WindowState } = { window: saved?.window };
    const save = (finished: boolean) =>
      store.saveCheckpoint(m.uuid, shardId, { ...position, ...(open.window ? { window: open.window } : {}), finished });
    const closeWindow = async (): Promise<boolean> => {
      if (!open.window) return true;
      if (!(await this.#finalInvoke(shardId, open.window, false))) return false;
      open.window = undefined;
      save(false);
      return true;
    };
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
          if (!(await closeWindow())) return;
          save(true);
          return;
        }
        let idle = IDLE_POLL_MS;
        if (open.window) {
          const left = open.window.start + seconds * 1000 - Date.now();
          if (left <= 0) {
            if (!(await closeWindow())) return;
            continue;
          }
          idle = Math.min(idle, left);
        }
        await this.#waiter.wait(idle, signal);
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
      let records = read.records;
      if (seconds > 0) {
        records = leadingWindow(records, (r) => source.arrivalOf(r), seconds);
        const start = windowStart(source.arrivalOf(records[0] as R), seconds);
        if (open.window && open.window.start !== start && !(await closeWindow())) return;
        open.window ??= { start, state: {} };
      }
      const commit = (record: R) => {
        position = { after: source.sequenceOf(record) };
        save(false);
      };
      // A window's state is one sequence of invocations: windowed mappings use one lane per shard.
      const lanes = seconds > 0 ? [records] : this.#lanes(records);
      const results = await Promise.all(
        lanes.map((lane) =>
          processInOrder(lane, this.#laneOptions(shardId, lanes.length === 1 ? commit : () => {}, open)),
        ),
      );
      if (!results.every(Boolean)) return;
      commit(records[records.length - 1] as R);
    }
  }

  /**
   * The last invocation of a window (no records, its final state), retried until it succeeds as
   * Lambda does: the shard waits behind it. False when stopped first.
   */
  async #finalInvoke(shardId: string, window: WindowState, terminatedEarly: boolean): Promise<boolean> {
    const m = this.#mapping;
    const signal = this.#abort.signal;
    const payload = JSON.stringify({
      ...(this.#deps.event([]) as object),
      ...windowFields(window, m.tumblingWindowInSeconds, {
        shardId,
        eventSourceArn: m.eventSourceArn,
        final: true,
        terminatedEarly,
      }),
    });
    for (let attempt = 0; !signal.aborted; attempt += 1) {
      this.#invocations += 1;
      try {
        const result = await this.#deps.invoker.invoke({
          functionName: m.functionArn,
          payload,
          invocationType: 'RequestResponse',
          trigger: this.#deps.trigger,
        });
        if (!result.functionError) {
          this.#settle({ kind: 'success' });
          return true;
        }
        this.#settle({ kind: 'failed', result });
      } catch (error) {
        this.#deps.log.warn('final window invocation failed', { uuid: m.uuid, shardId, error });
        this.#settle({ kind: 'failed', error });
      }
      try {
        await sleep(Math.min(FINAL_BACKOFF_MAX_MS, 20 * 2 ** Math.min(attempt, 6)), undefined, { signal });
      } catch {
        return false;
      }
    }
    return false;
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

  #laneOptions(shardId: string, done: (record: R) => void, open: { window?: WindowState }) {
    const m = this.#mapping;
    const { source, invoker, log } = this.#deps;
    // Without MaximumRecordAgeInSeconds a record is retried until the source would drop it.
    const maxAge = m.maximumRecordAgeInSeconds >= 0 ? m.maximumRecordAgeInSeconds : source.retentionMs() / 1000;
    return {
      batchSize: m.batchSize,
      maximumRetryAttempts: m.maximumRetryAttempts,
      maximumRecordAgeInSeconds: maxAge,
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
          const window = open.window;
          const event = this.#deps.event(records) as object;
          const result = await invoker.invoke({
            functionName: m.functionArn,
            payload: JSON.stringify(
              window
                ? {
                    ...event,
                    ...windowFields(window, m.tumblingWindowInSeconds, {
                      shardId,
                      eventSourceArn: m.eventSourceArn,
                      final: false,
                      terminatedEarly: false,
                    }),
                  }
                : event,
            ),
            invocationType: 'RequestResponse',
            trigger: this.#deps.trigger,
          });
          if (!window) outcome = outcomeOf(result, m.reportBatchItemFailures);
          else {
            const answer = windowOutcome(result, m.reportBatchItemFailures);
            outcome = answer.outcome;
            if (outcome.kind !== 'failed') window.state = answer.state;
            if (outcome.kind !== 'failed' && stateTooLarge(window.state)) {
              // Past 1 MB the window ends early: the function gets what it has, and the same
              // window goes on with a fresh state.
              if (!(await this.#finalInvoke(shardId, window, true))) return { kind: 'failed' };
              window.state = {};
            }
          }
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
