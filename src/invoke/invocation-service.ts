import type { Runtime } from '../runtime/types.js';
import type { BackgroundService, EngineContext } from '../shared/context.js';
import { InvalidParameterValue, InvalidRequestContent, LambdataError, RequestTooLarge, ResourceNotFound } from '../shared/errors.js';
import { Topic } from '../shared/events.js';
import { functionArn, newId, newRequestId } from '../shared/ids.js';
import type { Logger } from '../shared/log.js';
import type { QueueStore } from '../storage/queues/index.js';
import type { Billing } from './billing.js';
import { ConcurrencyLimiter, type Slot } from './concurrency.js';
import { DeadLetterStore } from './dead-letters.js';
import { type AttemptResponse, deliver, destinationRecord } from './destinations.js';
import { EventQueue, type QueuedEvent } from './event-queue.js';
import { type Execution, execute } from './execution.js';
import type { LogStore } from './logs.js';
import { type RecordFilter, RecordStore } from './records.js';
import type { FunctionRegistry } from './registry.js';
import {
  type DeadLetter,
  type EventInvokeConfig,
  type FailureCondition,
  type FunctionVersion,
  type InvocationRecord,
  type InvocationType,
  type InvokeRequest,
  type InvokeResult,
  type Invoker,
  OUTCOMES,
} from './types.js';

export interface InvocationServiceOptions {
  functions: FunctionRegistry;
  runtime: Runtime;
  logs: LogStore;
  billing: Billing;
  queues: QueueStore;
  accountConcurrency: number;
  /** First retry delay of a failed async event (then doubled). Default env LAMBDATA_RETRY_BASE_MS or 1000. */
  retryBaseMs?: number;
}

/** Dead-letter operations (the durable store of async events that failed for good). */
export interface DeadLetters {
  list(filter?: { functionName?: string }): DeadLetter[];
  /** Queues the event again as a new async invocation. Throws ResourceNotFoundException. */
  replay(id: string): Promise<void>;
  replayAll(functionName?: string): Promise<number>;
  /** Throws ResourceNotFoundException. */
  delete(id: string): void;
  /** Every event that lands in the store. */
  readonly added: Topic<DeadLetter>;
}

export const PAYLOAD_LIMITS = { syncBytes: 6 * 1024 * 1024, asyncBytes: 1024 * 1024 } as const;
const DISPATCH_BATCH = 100;
const STOP_GRACE_MS = 3000;
const INVOCATION_TYPES: readonly InvocationType[] = ['RequestResponse', 'Event', 'DryRun'];

/**
 * Invokes functions with Lambda's semantics: sync (RequestResponse), async (Event, through a durable
 * queue with retries, destinations and a dead-letter store) and DryRun; enforces account and reserved
 * concurrency; every invocation yields a record that is stored, billed and published on `records`.
 */
export class InvocationService implements Invoker, BackgroundService {
  /** Every finished invocation (and every throttled sync call). */
  readonly records = new Topic<InvocationRecord>();
  readonly deadLetters: DeadLetters;
  #context: EngineContext;
  #options: InvocationServiceOptions;
  #log: Logger;
  #limiter: ConcurrencyLimiter;
  #queue: EventQueue;
  #letters: DeadLetterStore;
  #store: RecordStore;
  #retryBaseMs: number;
  #running = false;
  #pumpQueued = false;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #inflight = new Map<string, Promise<void>>();

  constructor(context: EngineContext, options: InvocationServiceOptions) {
    this.#context = context;
    this.#options = options;
    this.#log = context.log.child({ component: 'invoke' });
    const envBase = Number(process.env.LAMBDATA_RETRY_BASE_MS);
    this.#retryBaseMs = options.retryBaseMs ?? (Number.isFinite(envBase) && envBase >= 0 && process.env.LAMBDATA_RETRY_BASE_MS ? envBase : 1000);
    if (!Number.isInteger(options.accountConcurrency) || options.accountConcurrency < 1) {
      throw new InvalidParameterValue(`accountConcurrency: ${options.accountConcurrency} must be a whole number >= 1`);
    }
    this.#limiter = new ConcurrencyLimiter({
      limit: options.accountConcurrency,
      reservedOf: (name) => this.#reservedOf(name),
      reservedTotal: () => options.functions.reservedTotal(),
      onRelease: () => this.#onCapacity(),
    });
    this.#queue = new EventQueue(context.db);
    this.#letters = new DeadLetterStore(context.db);
    this.#store = new RecordStore(context.db);
    this.deadLetters = {
      list: (filter) => this.#letters.list(filter),
      replay: (id) => this.#replay(id),
      replayAll: async (functionName) => {
        const letters = this.#letters.list(functionName === undefined ? {} : { functionName });
        for (const letter of letters) await this.#replay(letter.id);
        return letters.length;
      },
      delete: (id) => {
        if (!this.#letters.delete(id)) throw new ResourceNotFound(`Dead letter not found: ${id}`);
      },
      added: new Topic<DeadLetter>(),
    };
  }

  /**
   * Invokes a function. RequestResponse resolves with the result (function errors as `functionError`);
   * Event resolves with 202 once the event is durably queued; DryRun checks and resolves with 204.
   * Throws ResourceNotFoundException, RequestTooLargeException, InvalidRequestContentException,
   * TooManyRequestsException (sync only).
   */
  async invoke(request: InvokeRequest): Promise<InvokeResult> {
    const invocationType = request.invocationType ?? 'RequestResponse';
    if (!INVOCATION_TYPES.includes(invocationType)) {
      throw new InvalidParameterValue(`InvocationType: '${String(invocationType)}' must be RequestResponse, Event or DryRun`);
    }
    const fn = this.#options.functions.get(request.functionName, request.qualifier || undefined);
    const payload = checkPayload(request.payload, invocationType === 'Event' ? PAYLOAD_LIMITS.asyncBytes : PAYLOAD_LIMITS.syncBytes);
    const requestId = newRequestId();
    const trigger = request.trigger ?? 'api';
    if (invocationType === 'DryRun') return { statusCode: 204, requestId, executedVersion: fn.version, payload: Buffer.alloc(0) };
    if (invocationType === 'Event') {
      const event: Omit<QueuedEvent, 'attempts' | 'nextAt'> = {
        id: requestId,
        functionName: fn.name,
        qualifier: fn.version,
        payload: payload.toString('utf8'),
        trigger,
        enqueuedAt: Date.now(),
      };
      if (request.clientContext !== undefined) event.clientContext = request.clientContext;
      this.#queue.enqueue(event);
      this.#wake();
      return { statusCode: 202, requestId, executedVersion: fn.version, payload: Buffer.alloc(0) };
    }
    const slot = this.#acquireOrRecord(fn, requestId, trigger);
    let execution: Execution;
    try {
      execution = await this.#run(fn, requestId, payload, trigger, 'RequestResponse', 1, request.clientContext);
    } finally {
      slot.release();
    }
    const result: InvokeResult = {
      statusCode: 200,
      requestId,
      executedVersion: fn.version,
      payload: execution.payload,
      record: execution.record,
    };
    if (execution.functionError) result.functionError = execution.functionError;
    if (request.logType === 'Tail') result.logResult = execution.logResult;
    return result;
  }

  /** Stored records, newest first. */
  recent(filter: RecordFilter = {}): InvocationRecord[] {
    return this.#store.recent(filter);
  }

  /** Executions in flight against the account limit. */
  concurrency(): { inUse: number; limit: number; byFunction: Record<string, number> } {
    return this.#limiter.snapshot();
  }

  /** Async events waiting to run (not counting running ones). */
  queueDepth(functionName?: string): number {
    return this.#queue.depth(functionName);
  }

  /** Resumes the durable queue: events a crash left running run again. */
  async start(): Promise<void> {
    const recovered = this.#queue.recover();
    if (recovered > 0) this.#log.info('resuming async events left running', { count: recovered });
    this.#running = true;
    this.#wake();
  }

  /** Stops dispatching; unfinished events stay queued (waits briefly for running ones). */
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

  async #run(
    fn: FunctionVersion,
    requestId: string,
    payload: Buffer,
    trigger: string,
    invocationType: InvocationType,
    attempt: number,
    clientContext?: string,
  ): Promise<Execution> {
    const { runtime, logs, billing } = this.#options;
    const request: Parameters<typeof execute>[1] = { fn, requestId, payload, trigger, invocationType, attempt };
    if (clientContext !== undefined) request.clientContext = clientContext;
    const execution = await execute({ runtime, logs, billing, log: this.#log }, request);
    this.#publish(execution.record);
    return execution;
  }

  #publish(record: InvocationRecord): void {
    try {
      this.#store.add(record);
      this.#options.billing.record(record);
    } catch (err) {
      this.#log.error('could not store invocation record', { requestId: record.requestId, err });
    }
    this.records.publish(record);
  }

  /** Takes a slot for a sync call, or records the throttle and throws TooManyRequestsException. */
  #acquireOrRecord(fn: FunctionVersion, requestId: string, trigger: string): Slot {
    try {
      return this.#limiter.acquire(fn.name);
    } catch (err) {
      if (err instanceof LambdataError && err.code === 'TooManyRequestsException') {
        this.#publish({
          requestId,
          functionName: fn.name,
          version: fn.version,
          trigger,
          invocationType: 'RequestResponse',
          startedAt: Date.now(),
          durationMs: 0,
          billedDurationMs: 0,
          initDurationMs: null,
          memorySizeMb: fn.memoryMb,
          maxMemoryUsedMb: 0,
          outcome: OUTCOMES.throttled,
          errorType: err.code,
          errorMessage: (err as { reason?: string }).reason ?? err.message,
          gbSeconds: 0,
          costUsd: 0,
          attempt: 1,
        });
      }
      throw err;
    }
  }

  #reservedOf(name: string): number | null {
    try {
      return this.#options.functions.settings(name).reservedConcurrency;
    } catch (err) {
      if (err instanceof LambdataError && err.code === 'ResourceNotFoundException') return null;
      throw err;
    }
  }

  /** Capacity was freed: throttled events may run now. */
  #onCapacity(): void {
    if (!this.#running) return;
    if (this.#queue.wakeThrottled(Date.now()) > 0) this.#wake();
  }

  /** Schedules a dispatch pass on the next tick (coalesced). */
  #wake(): void {
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
      due = this.#queue.due(now, DISPATCH_BATCH);
    } catch (err) {
      this.#log.error('could not read the async queue', { err });
      return;
    }
    for (const event of due) {
      if (!this.#inflight.has(event.id)) this.#dispatch(event, now);
    }
    if (due.length === DISPATCH_BATCH) this.#wake();
    this.#arm();
  }

  /** Arms one timer for the next event that falls due (backoff, throttle waits). */
  #arm(): void {
    const next = this.#queue.nextDueAt();
    if (next === undefined || !this.#running) return;
    if (this.#timer && this.#timerAt <= next) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Number.POSITIVE_INFINITY;
      this.#pump();
    }, Math.max(0, next - Date.now()));
    this.#timer.unref?.();
  }

  #dispatch(event: QueuedEvent, now: number): void {
    let fn: FunctionVersion;
    let config: EventInvokeConfig;
    try {
      fn = this.#options.functions.get(event.functionName, event.qualifier);
      config = this.#options.functions.settings(event.functionName).eventInvokeConfig;
    } catch (err) {
      if (err instanceof LambdataError && err.code === 'ResourceNotFoundException') {
        this.#log.warn('dropping async event of a deleted function', { requestId: event.id, functionName: event.functionName });
        this.#queue.remove(event.id);
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
      slot = this.#limiter.acquire(fn.name);
    } catch (err) {
      if (err instanceof LambdataError && err.code === 'TooManyRequestsException') {
        this.#queue.throttle(event.id, now + Math.max(this.#retryBaseMs, 10));
        return;
      }
      throw err;
    }
    this.#queue.markRunning(event.id);
    this.#track(event.id, this.#attempt(event, fn, config, slot));
  }

  #track(id: string, work: Promise<void>): void {
    const tracked = work
      .catch((err: unknown) => this.#log.error('async event handling failed', { requestId: id, err }))
      .finally(() => {
        this.#inflight.delete(id);
        this.#wake();
      });
    this.#inflight.set(id, tracked);
  }

  async #attempt(event: QueuedEvent, fn: FunctionVersion, config: EventInvokeConfig, slot: Slot): Promise<void> {
    const attempt = event.attempts + 1;
    let execution: Execution;
    try {
      execution = await this.#run(fn, event.id, Buffer.from(event.payload), event.trigger, 'Event', attempt, event.clientContext);
    } finally {
      slot.release();
    }
    const response: AttemptResponse = { executedVersion: fn.version, payload: execution.payload };
    if (execution.functionError) response.functionError = execution.functionError;
    if (!execution.functionError) {
      this.#queue.remove(event.id);
      if (config.onSuccess) await this.#send(config.onSuccess, event, fn, 'Success', attempt, response);
      return;
    }
    if (!this.#running) {
      // The engine is stopping (environments may have been killed under us): leave it for the next start.
      this.#queue.release(event.id);
      return;
    }
    if (attempt <= config.maximumRetryAttempts) {
      this.#queue.retry(event.id, attempt, Date.now() + this.#retryBaseMs * 2 ** (attempt - 1));
      return;
    }
    await this.#fail({ ...event, attempts: attempt }, fn, config, 'RetriesExhausted', response);
  }

  /** Final failure: the on-failure destination, or the dead-letter store when there is none or it fails. */
  async #fail(event: QueuedEvent, fn: FunctionVersion, config: EventInvokeConfig, condition: FailureCondition, response?: AttemptResponse): Promise<void> {
    const delivered = config.onFailure ? await this.#send(config.onFailure, event, fn, condition, event.attempts, response) : false;
    let letter: DeadLetter | undefined;
    this.#context.db.transaction(() => {
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
        this.#letters.add(letter);
      }
      this.#queue.remove(event.id);
    })();
    if (letter) this.deadLetters.added.publish(letter);
    this.#log.info('async event failed', { requestId: event.id, functionName: event.functionName, condition, attempts: event.attempts, delivered });
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
      functionArn: functionArn(this.#context.region, fn.name, fn.version),
      condition,
      approximateInvokeCount: attempts,
      requestPayload: event.payload,
    };
    if (response) input.response = response;
    try {
      await deliver(arn, destinationRecord(input), { invoke: (req) => this.invoke(req), queues: this.#options.queues });
      return true;
    } catch (err) {
      this.#log.warn('destination delivery failed', { requestId: event.id, destination: arn, err });
      return false;
    }
  }

  async #replay(id: string): Promise<void> {
    const letter = this.#letters.get(id);
    if (!letter) throw new ResourceNotFound(`Dead letter not found: ${id}`);
    await this.invoke({
      functionName: letter.functionName,
      qualifier: letter.qualifier,
      payload: letter.payload,
      invocationType: 'Event',
      trigger: letter.trigger,
    });
    this.#letters.delete(id);
  }
}

/** Payload as bytes ('{}' when empty); throws RequestTooLargeException or InvalidRequestContentException. */
function checkPayload(payload: Buffer | string | undefined, maxBytes: number): Buffer {
  const bytes = payload === undefined ? Buffer.alloc(0) : Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  if (bytes.length > maxBytes) {
    throw new RequestTooLarge(`Request must be smaller than ${maxBytes} bytes for the InvokeFunction operation`);
  }
  if (bytes.length === 0 || bytes.toString('utf8').trim() === '') return Buffer.from('{}');
  try {
    JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InvalidRequestContent('Could not parse request body into json: the payload is not valid JSON', { cause: err });
  }
  return bytes;
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
