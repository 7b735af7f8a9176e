import type { Runtime } from '../runtime/index.js';
import type { BackgroundService, EngineContext } from '../shared/context.js';
import {
  InvalidParameterValue,
  InvalidRequestContent,
  LambdataError,
  RequestTooLarge,
  ResourceNotFound,
} from '../shared/errors.js';
import { Topic } from '../shared/events.js';
import { newRequestId } from '../shared/ids.js';
import type { Logger } from '../shared/log.js';
import type { QueueStore } from '../storage/queues/index.js';
import { AsyncDispatcher } from './async-dispatcher.js';
import type { Billing } from './billing.js';
import { ConcurrencyLimiter, type Slot } from './concurrency.js';
import { DeadLetterStore } from './dead-letters.js';
import { EventQueue, type QueuedEvent } from './event-queue.js';
import { type Execution, execute } from './execution.js';
import { payloadLimit } from './limits.js';
import type { LogStore } from './logs.js';
import { type RecordFilter, RecordStore } from './records.js';
import type { FunctionRegistry } from './registry.js';
import { tailOf } from './report.js';
import {
  type DeadLetter,
  type FunctionVersion,
  type InvocationRecord,
  type InvocationType,
  type InvokeRequest,
  type InvokeResult,
  type Invoker,
  isInvocationType,
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

/**
 * Invokes functions with Lambda's semantics: sync (RequestResponse), async (Event, through a durable
 * queue with retries, destinations and a dead-letter store) and DryRun; enforces account and reserved
 * concurrency; every invocation yields a record that is stored, billed and published on `records`.
 */
export class InvocationService implements Invoker, BackgroundService {
  /** Every finished invocation (and every throttled sync call). */
  readonly records = new Topic<InvocationRecord>();
  readonly deadLetters: DeadLetters;
  #options: InvocationServiceOptions;
  #log: Logger;
  #limiter: ConcurrencyLimiter;
  #queue: EventQueue;
  #letters: DeadLetterStore;
  #store: RecordStore;
  #dispatcher: AsyncDispatcher;

  constructor(context: EngineContext, options: InvocationServiceOptions) {
    this.#options = options;
    this.#log = context.log.child({ component: 'invoke' });
    if (!Number.isInteger(options.accountConcurrency) || options.accountConcurrency < 1) {
      throw new InvalidParameterValue(`accountConcurrency: ${options.accountConcurrency} must be a whole number >= 1`);
    }
    this.#limiter = new ConcurrencyLimiter({
      limit: options.accountConcurrency,
      reservedOf: (name) => options.functions.reservedOf(name),
      reservedTotal: () => options.functions.reservedTotal(),
      onRelease: () => this.#dispatcher.onCapacity(),
    });
    this.#queue = new EventQueue(context.db);
    this.#letters = new DeadLetterStore(context.db);
    this.#store = new RecordStore(context);
    this.#dispatcher = new AsyncDispatcher({
      db: context.db,
      region: context.region,
      log: this.#log,
      functions: options.functions,
      limiter: this.#limiter,
      queue: this.#queue,
      letters: this.#letters,
      queues: options.queues,
      retryBaseMs: options.retryBaseMs ?? retryBaseFromEnv(),
      run: (...args) => this.#run(...args),
      invoke: (request) => this.invoke(request),
    });
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
      added: this.#dispatcher.deadLetterAdded,
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
    if (!isInvocationType(invocationType)) {
      throw new InvalidParameterValue(
        `InvocationType: '${String(invocationType)}' must be RequestResponse, Event or DryRun`,
      );
    }
    const fn = this.#options.functions.get(request.functionName, request.qualifier || undefined);
    const payload = checkPayload(request.payload, payloadLimit(invocationType));
    const requestId = newRequestId();
    const trigger = request.trigger ?? 'api';
    if (invocationType === 'DryRun')
      return { statusCode: 204, requestId, executedVersion: fn.version, payload: Buffer.alloc(0) };
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
      this.#dispatcher.wake();
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
    if (request.logType === 'Tail') result.logResult = tailOf(execution.lines);
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
    this.#dispatcher.start();
  }

  /** Stops dispatching; unfinished events stay queued (waits briefly for running ones). */
  async stop(): Promise<void> {
    await this.#dispatcher.stop();
    this.#options.logs.flush();
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
    // Both only buffer: the invoke layer's write batch stores them in one transaction per tick.
    this.#store.add(record);
    this.#options.billing.record(record);
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

  /** Capacity was freed: throttled events may run now. */
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
  if (bytes.length === 0) return Buffer.from('{}');
  const text = bytes.toString('utf8');
  if (text.trim() === '') return Buffer.from('{}');
  try {
    JSON.parse(text);
  } catch (err) {
    throw new InvalidRequestContent('Could not parse request body into json: the payload is not valid JSON', {
      cause: err,
    });
  }
  return bytes;
}

/** LAMBDATA_RETRY_BASE_MS when set to a number >= 0, else AWS's ~1 s. */
function retryBaseFromEnv(): number {
  const raw = process.env.LAMBDATA_RETRY_BASE_MS;
  const value = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(value) && value >= 0 ? value : 1000;
}
