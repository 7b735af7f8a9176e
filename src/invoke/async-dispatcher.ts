import { functionArn } from '../shared/arn.js';
import { LambdataError } from '../shared/errors.js';
import { Topic } from '../shared/events.js';
import { newId } from '../shared/ids.js';
import type { Logger } from '../shared/log.js';
import type { Db } from '../state/db.js';
import type { QueueStore } from '../storage/queues/index.js';
import type { ConcurrencyLimiter, Slot } from './concurrency.js';
import type { DeadLetterStore } from './dead-letters.js';
import { type AttemptResponse, deliver, destinationRecord } from './destinations.js';
import type { EventQueue, QueuedEvent } from './event-queue.js';
import type { Execution } from './execution.js';
import type { FunctionRegistry } from './registry.js';
import type {
  DeadLetter,
  EventInvokeConfig,
  FailureCondition,
  FunctionVersion,
  InvocationType,
  InvokeRequest,
  InvokeResult,
} from './types.js';

/** What the dispatcher needs from the invocation service. */
export interface DispatcherDeps {
  db: Db;
  region: string;
  log: Logger;
  functions: FunctionRegistry;
  limiter: ConcurrencyLimiter;
  queue: EventQueue;
  letters: DeadLetterStore;
  queues: Pick<QueueStore, 'sendByArn'>;
  retryBaseMs: number;
  /** Runs one attempt (logs, record, billing). */
  run(
    fn: FunctionVersion,
    requestId: string,
    payload: Buffer,
    trigger: string,
    invocationType: InvocationType,
    attempt: number,
    clientContext?: string,
  ): Promise<Execution>;
  /** Invokes a function (destinations are async invocations). */
  invoke(request: InvokeRequest): Promise<InvokeResult>;
}

const DISPATCH_BATCH = 100;
const STOP_GRACE_MS = 3000;

/**
 * Runs the durable async queue: dispatches due events as capacity allows (woken on enqueue and on
 * freed capacity; a timer only for backoff), retries failures with doubling delays, and ends each
 * event in success (on-success destination), an on-failure destination, or the dead-letter store.
 */
export class AsyncDispatcher {
  /** Every event that lands in the dead-letter store. */
  readonly deadLetterAdded = new Topic<DeadLetter>();
  #deps: DispatcherDeps;
  #running = false;
  #pumpQueued = false;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #inflight = new Map<string, Promise<void>>();

  constructor(deps: DispatcherDeps) {
    this.#deps = deps;
  }

  /** Resumes the queue: events a crash left running run again. */
  start(): void {
    const recovered = this.#deps.queue.recover();
    if (recovered > 0) this.#deps.log.info('resuming async events left running', { count: recovered });
    this.#running = true;
    this.wake();
  }

  /** Stops dispatching; waits briefly for running attempts; unfinished events stay queued. */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    if (this.#inflight.size === 0) return;
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inflight.values()]),
      new Promise<void>((resolve) => {
        grace = setTimeout(resolve, STOP_GRACE_MS);
      }),
    ]);
    clearTimeout(grace);
  }

  onCapacity(): void {
    if (!this.#running) return;
    if (this.#deps.queue.wakeThrottled(Date.now()) > 0) this.wake();
  }

  /** Schedules a dispatch pass on the next tick (coalesced). */
  wake(): void {
    if (!this.#running || this.#pumpQueued) return;
    this.#pumpQueued = true;
    setImmediate(() => {
      this.#pumpQueued = false;
      this.#pump();
    });
  }

  #pump(): void {
    if (!this.#running) return;
    const now = Date.now();
    let due: QueuedEvent[];
    try {
      due = this.#deps.queue.due(now, DISPATCH_BATCH);
    } catch (err) {
      this.#deps.log.error('could not read the async queue', { err });
      return;
    }
    // One transaction for the whole batch: marking events running is a commit each otherwise.
    this.#deps.db.transaction(() => {
      for (const event of due) {
        if (this.#inflight.has(event.id)) continue;
        try {
          this.#dispatch(event, now);
        } catch (err) {
          this.#deps.log.error('could not dispatch async event', { requestId: event.id, err });
        }
      }
    })();
    if (due.length === DISPATCH_BATCH) this.wake();
    this.#arm();
  }

  /** Arms one timer for the next event that falls due (backoff, throttle waits). */
  #arm(): void {
    const next = this.#deps.queue.nextDueAt();
    if (next === undefined || !this.#running) return;
    if (this.#timer && this.#timerAt <= next) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#pump();
      },
      Math.max(0, next - Date.now()),
    );
    this.#timer.unref?.();
  }

  #dispatch(event: QueuedEvent, now: number): void {
    let fn: FunctionVersion;
    let config: EventInvokeConfig;
    try {
      fn = this.#deps.functions.get(event.functionName, event.qualifier);
      config = this.#deps.functions.settings(event.functionName).eventInvokeConfig;
    } catch (err) {
      if (err instanceof LambdataError && err.code === 'ResourceNotFoundException') {
        this.#deps.log.warn('dropping async event of a deleted function', {
          requestId: event.id,
          functionName: event.functionName,
        });
        this.#deps.queue.remove(event.id);
        return;
      }
      throw err;
    }
    if (now - event.enqueuedAt > config.maximumEventAgeInSeconds * 1000) {
      this.#track(event.id, this.#fail(event, fn, config, 'EventAgeExceeded'));
      return;
    }
    let slot: Slot;
    try {
      slot = this.#deps.limiter.acquire(fn.name);
    } catch (err) {
      if (err instanceof LambdataError && err.code === 'TooManyRequestsException') {
        this.#deps.queue.throttle(event.id, now + Math.max(this.#deps.retryBaseMs, 10));
        return;
      }
      throw err;
    }
    this.#deps.queue.markRunning(event.id);
    this.#track(event.id, this.#attempt(event, fn, config, slot));
  }

  #track(id: string, work: Promise<void>): void {
    const tracked = work
      .catch((err: unknown) => this.#deps.log.error('async event handling failed', { requestId: id, err }))
      .finally(() => {
        this.#inflight.delete(id);
        this.wake();
      });
    this.#inflight.set(id, tracked);
  }

  async #attempt(event: QueuedEvent, fn: FunctionVersion, config: EventInvokeConfig, slot: Slot): Promise<void> {
    const attempt = event.attempts + 1;
    let execution: Execution;
    try {
      execution = await this.#deps.run(
        fn,
        event.id,
        Buffer.from(event.payload),
        event.trigger,
        'Event',
        attempt,
        event.clientContext,
      );
    } finally {
      slot.release();
    }
    const response: AttemptResponse = { executedVersion: fn.version, payload: execution.payload };
    if (execution.functionError) response.functionError = execution.functionError;
    if (!execution.functionError) {
      this.#deps.queue.remove(event.id);
      if (config.onSuccess) await this.#send(config.onSuccess, event, fn, 'Success', attempt, response);
      return;
    }
    if (!this.#running) {
      // The engine is stopping (environments may have been killed under us): leave it for the next start.
      this.#deps.queue.release(event.id);
      return;
    }
    if (attempt <= config.maximumRetryAttempts) {
      this.#deps.queue.retry(event.id, attempt, Date.now() + this.#deps.retryBaseMs * 2 ** (attempt - 1));
      return;
    }
    await this.#fail({ ...event, attempts: attempt }, fn, config, 'RetriesExhausted', response);
  }

  /** Final failure: the on-failure destination, or the dead-letter store when there is none or it fails. */
  async #fail(
    event: QueuedEvent,
    fn: FunctionVersion,
    config: EventInvokeConfig,
    condition: FailureCondition,
    response?: AttemptResponse,
  ): Promise<void> {
    const delivered = config.onFailure
      ? await this.#send(config.onFailure, event, fn, condition, event.attempts, response)
      : false;
    let letter: DeadLetter | undefined;
    this.#deps.db.transaction(() => {
      if (!delivered) {
        letter = {
          id: newId('dl-'),
          requestId: event.id,
          functionName: event.functionName,
          qualifier: event.qualifier,
          trigger: event.trigger,
          payload: event.payload,
          condition,
          attempts: event.attempts,
          enqueuedAt: event.enqueuedAt,
          failedAt: Date.now(),
        };
        const error = response ? parseError(response.payload) : undefined;
        if (error?.errorType) letter.errorType = error.errorType;
        if (error?.errorMessage) letter.errorMessage = error.errorMessage;
        this.#deps.letters.add(letter);
      }
      this.#deps.queue.remove(event.id);
    })();
    if (letter) this.deadLetterAdded.publish(letter);
    this.#deps.log.info('async event failed', {
      requestId: event.id,
      functionName: event.functionName,
      condition,
      attempts: event.attempts,
      delivered,
    });
  }

  /** Sends a destination record; returns whether it was delivered. */
  async #send(
    arn: string,
    event: QueuedEvent,
    fn: FunctionVersion,
    condition: 'Success' | FailureCondition,
    attempts: number,
    response?: AttemptResponse,
  ): Promise<boolean> {
    const input: Parameters<typeof destinationRecord>[0] = {
      requestId: event.id,
      functionArn: functionArn(this.#deps.region, fn.name, fn.version),
      condition,
      approximateInvokeCount: attempts,
      requestPayload: event.payload,
    };
    if (response) input.response = response;
    try {
      await deliver(arn, destinationRecord(input), { invoke: this.#deps.invoke, queues: this.#deps.queues });
      return true;
    } catch (err) {
      this.#deps.log.warn('destination delivery failed', { requestId: event.id, destination: arn, err });
      return false;
    }
  }
}

function parseError(payload: Buffer): { errorType?: string; errorMessage?: string } | undefined {
  try {
    const body = JSON.parse(payload.toString('utf8')) as { errorType?: unknown; errorMessage?: unknown };
    const out: { errorType?: string; errorMessage?: string } = {};
    if (typeof body.errorType === 'string') out.errorType = body.errorType;
    if (typeof body.errorMessage === 'string') out.errorMessage = body.errorMessage;
    return out;
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}
