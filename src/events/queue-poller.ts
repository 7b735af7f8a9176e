import { setTimeout as sleep } from 'node:timers/promises';
import type { Invoker } from '../invoke/index.js';
import type { Logger } from '../shared/log.js';
import type { QueueStore, ReceivedMessage } from '../storage/queues/index.js';
import { outcomeOf } from './batch.js';
import { sqsEvent } from './event-shapes.js';
import type { MappingConfig, MappingStatus } from './mapping-types.js';

/** What a queue poller needs. */
export interface QueuePollerDeps {
  queues: QueueStore;
  invoker: Invoker;
  log: Logger;
  region: string;
  onResult(ok: boolean): void;
}

/** Concurrent batches when the mapping sets no ScalingConfig.MaximumConcurrency. */
const DEFAULT_MAX_CONCURRENCY = 5;
const LONG_POLL_SECONDS = 20;

/**
 * Feeds a function from a queue: long polls for batches, deletes the messages of a successful
 * batch (all but the reported failures with ReportBatchItemFailures) and leaves failed ones to
 * their visibility timeout, so the queue's redrive policy applies. Scales out to more concurrent
 * batches while messages wait, up to the mapping's maximum concurrency.
 */
export class QueuePoller {
  #mapping: MappingConfig;
  #deps: QueuePollerDeps;
  #abort = new AbortController();
  #workers = new Set<Promise<void>>();
  #invocations = 0;
  #failures = 0;

  constructor(mapping: MappingConfig, deps: QueuePollerDeps) {
    this.#mapping = mapping;
    this.#deps = deps;
  }

  start(): void {
    this.#spawn();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled([...this.#workers]);
  }

  status(): MappingStatus {
    let lag = 0;
    try {
      const depth = this.#deps.queues.depth(this.#mapping.sourceName);
      lag = depth.visible + depth.inFlight + depth.delayed;
    } catch (err) {
      this.#deps.log.debug('queue depth unavailable', { err });
    }
    return { lag, invocations: this.#invocations, failures: this.#failures, concurrency: this.#workers.size };
  }

  #spawn(): void {
    const worker = this.#work()
      .catch((err) => this.#deps.log.error('queue poller failed', { uuid: this.#mapping.uuid, err }))
      .finally(() => {
        this.#workers.delete(worker);
        if (this.#workers.size === 0 && !this.#abort.signal.aborted) this.#spawn();
      });
    this.#workers.add(worker);
  }

  async #work(): Promise<void> {
    const m = this.#mapping;
    const signal = this.#abort.signal;
    const max = m.maximumConcurrency ?? DEFAULT_MAX_CONCURRENCY;
    while (!signal.aborted) {
      let batch: ReceivedMessage[];
      try {
        batch = await this.#collect(signal);
      } catch (err) {
        // The queue may have been deleted; keep trying slowly rather than spinning.
        this.#deps.log.warn('cannot receive from queue', { uuid: m.uuid, queue: m.sourceName, err });
        await sleep(1000, undefined, { signal }).catch(() => undefined);
        continue;
      }
      if (batch.length === 0) {
        if (this.#workers.size > 1) return;
        // An empty answer before the long poll ended (the queue store is stopping): do not spin.
        await sleep(100, undefined, { signal }).catch(() => undefined);
        continue;
      }
      // Messages still waiting: add a concurrent batch, up to the cap.
      if (this.#workers.size < max && this.#deps.queues.depth(m.sourceName).visible > 0) this.#spawn();
      await this.#deliver(batch);
    }
  }

  /** Receives up to BatchSize messages, waiting up to MaximumBatchingWindowInSeconds to fill the batch. */
  async #collect(signal: AbortSignal): Promise<ReceivedMessage[]> {
    const m = this.#mapping;
    const { queues } = this.#deps;
    const batch: ReceivedMessage[] = [];
    const first = await queues.receive(m.sourceName, {
      maxMessages: Math.min(m.batchSize, 10_000),
      waitSeconds: LONG_POLL_SECONDS,
      signal,
    });
    batch.push(...first);
    if (batch.length === 0 || m.maximumBatchingWindowInSeconds <= 0) return batch;
    const deadline = Date.now() + m.maximumBatchingWindowInSeconds * 1000;
    while (batch.length < m.batchSize && Date.now() < deadline && !signal.aborted) {
      const wait = AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, deadline - Date.now()))]);
      const more = await queues.receive(m.sourceName, {
        maxMessages: m.batchSize - batch.length,
        waitSeconds: LONG_POLL_SECONDS,
        signal: wait,
      });
      batch.push(...more);
    }
    return batch;
  }

  async #deliver(batch: ReceivedMessage[]): Promise<void> {
    const m = this.#mapping;
    const { queues, invoker, log } = this.#deps;
    this.#invocations += 1;
    const source = { eventSourceArn: m.eventSourceArn, region: this.#deps.region, functionArn: m.functionArn };
    let failedIds: string[] | undefined;
    try {
      const result = await invoker.invoke({
        functionName: m.functionArn,
        payload: JSON.stringify(sqsEvent(batch, source)),
        invocationType: 'RequestResponse',
        trigger: 'sqs',
      });
      const outcome = outcomeOf(result, m.reportBatchItemFailures);
      if (outcome.kind === 'failed') failedIds = batch.map((b) => b.messageId);
      else if (outcome.kind === 'partial') {
        const ids = new Set(batch.map((b) => b.messageId));
        // An identifier naming no message of the batch fails the whole batch, as AWS treats it.
        failedIds = outcome.failedIds.every((id) => ids.has(id)) ? outcome.failedIds : [...ids];
      }
    } catch (err) {
      log.warn('queue batch invocation failed', { uuid: m.uuid, err });
      failedIds = batch.map((b) => b.messageId);
    }
    const failed = new Set(failedIds ?? []);
    if (failed.size > 0) this.#failures += 1;
    this.#deps.onResult(failed.size === 0);
    for (const message of batch) {
      if (failed.has(message.messageId)) continue;
      try {
        queues.deleteMessage(m.sourceName, message.receiptHandle);
      } catch (err) {
        log.warn('could not delete processed message', { uuid: m.uuid, err });
      }
    }
  }
}
