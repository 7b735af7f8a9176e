import type { Runtime } from '../runtime/index.js';
import type { BackgroundService, EngineContext } from '../shared/context.js';
import {
  InvalidParameterValue,
  InvalidRequestContent,
  LambdataError,
  RequestTooLarge,
  ResourceNotFound,
} from '../shared/errors.js';
import type { Topic } from '../shared/events.js';
import { newRequestId } from '../shared/ids.js';
import type { QueueStore } from '../storage/queues/index.js';
import { Attempts } from './attempts.js';
import type { Billing } from './billing.js';
import { ConcurrencyLimiter, type Slot } from './concurrency.js';
import { type AsyncInvocation, Deliveries } from './deliveries.js';
import type { Execution, ExecutionRequest } from './execution.js';
import { payloadLimit } from './limits.js';
import type { LogStore } from './logs.js';
import type { RecordFilter } from './records.js';
import type { FunctionRegistry } from './registry.js';
import { tailOf } from './report.js';
import {
  type DeadLetter,
  type FunctionVersion,
  type InvocationRecord,
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
 * Invokes functions with Lambda's semantics: sync (RequestResponse), async (Event, through the
 * durable delivery pipeline with retries, destinations and a dead-letter store) and DryRun; enforces
 * account and reserved concurrency; every invocation yields a record that is stored, billed and
 * published on `records`.
 */
export class InvocationService implements Invoker, BackgroundService {
  /** Every finished invocation (and every throttled sync call). */
  readonly records: Topic<InvocationRecord>;
  readonly deadLetters: DeadLetters;
  /** The durable delivery pipeline: other producers (notifications, mappings) queue here too. */
  readonly deliveries: Deliveries;
  #options: InvocationServiceOptions;
  #limiter: ConcurrencyLimiter;
  #attempts: Attempts;

  constructor(context: EngineContext, options: InvocationServiceOptions) {
    this.#options = options;
    const log = context.log.child({ component: 'invoke' });
    if (!Number.isInteger(options.accountConcurrency) || options.accountConcurrency < 1) {
      throw new InvalidParameterValue(`accountConcurrency: ${options.accountConcurrency} must be a whole number >= 1`);
    }
    this.#limiter = new ConcurrencyLimiter({
      limit: options.accountConcurrency,
      reservedOf: (name) => options.functions.reservedOf(name),
      reservedTotal: () => options.functions.reservedTotal(),
      onRelease: () => this.deliveries.onCapacity(),
    });
    this.#attempts = new Attempts(context, {
      runtime: options.runtime,
      logs: options.logs,
      billing: options.billing,
      log,
    });
    this.records = this.#attempts.records;
    this.deliveries = new Deliveries({
      db: context.db,
      region: context.region,
      log,
      functions: options.functions,
      limiter: this.#limiter,
      attempts: this.#attempts,
      retryBaseMs: options.retryBaseMs ?? retryBaseFromEnv(),
      destinations: { sqs: (arn, body, attributes) => options.queues.sendByArn(arn, body, attributes) },
      waitingRuns: (name) => options.runtime.waitingRuns(name),
    });
    // Queued events waiting for capacity (or to expire) are looked at again when settings change.
    options.functions.settingsChanged.subscribe(() => this.deliveries.onCapacity());
    const letters = this.deliveries.letters;
    this.deadLetters = {
      list: (filter) => letters.list(filter),
      replay: (id) => this.#replay(id),
      replayAll: async (functionName) => {
        const listed = letters.list(functionName === undefined ? {} : { functionName });
        for (const letter of listed) await this.#replay(letter.id);
        return listed.length;
      },
      delete: (id) => {
        if (!letters.delete(id)) throw new ResourceNotFound(`Dead letter not found: ${id}`);
      },
      added: this.deliveries.deadLetterAdded,
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
    const fn = this.#options.functions.route(request.functionName, request.qualifier || undefined);
    const payload = checkPayload(request.payload, payloadLimit(invocationType));
    const trigger = request.trigger ?? 'api';
    if (invocationType === 'DryRun')
      return { statusCode: 204, requestId: newRequestId(), executedVersion: fn.version, payload: Buffer.alloc(0) };
    if (invocationType === 'Event') {
      const invocation: AsyncInvocation = {
        functionName: fn.name,
        qualifier: fn.version,
        payload: payload.toString('utf8'),
        trigger,
      };
      if (request.clientContext !== undefined) invocation.clientContext = request.clientContext;
      const { requestId } = this.deliveries.invoke(invocation);
      return { statusCode: 202, requestId, executedVersion: fn.version, payload: Buffer.alloc(0) };
    }
    const requestId = newRequestId();
    const slot = this.#acquireOrRecord(fn, requestId, trigger);
    let execution: Execution;
    try {
      const attempt: ExecutionRequest = {
        fn,
        requestId,
        payload,
        trigger,
        invocationType: 'RequestResponse',
        attempt: 1,
      };
      if (request.clientContext !== undefined) attempt.clientContext = request.clientContext;
      execution = await this.#attempts.run(attempt);
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
    return this.#attempts.recent(filter);
  }

  /** Executions in flight against the account limit. */
  concurrency(): { inUse: number; limit: number; byFunction: Record<string, number> } {
    return this.#limiter.snapshot();
  }

  /** Deliveries waiting to run (not counting running ones), for one function or all. */
  queueDepth(functionName?: string): number {
    return this.deliveries.depth(functionName === undefined ? {} : { functionName });
  }

  /** Resumes the durable delivery queue: deliveries a crash left running run again. */
  async start(): Promise<void> {
    this.deliveries.start();
  }

  /** Stops delivering; unfinished deliveries stay queued (waits briefly for running ones). */
  async stop(): Promise<void> {
    await this.deliveries.stop();
    this.#attempts.flush();
  }

  /** Takes a slot for a sync call, or records the throttle and throws TooManyRequestsException. */
  #acquireOrRecord(fn: FunctionVersion, requestId: string, trigger: string): Slot {
    try {
      return this.#limiter.acquire(fn.name);
    } catch (err) {
      if (err instanceof LambdataError && err.code === 'TooManyRequestsException') {
        this.#attempts.publish({
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

  /** Queues a dead letter's event again as a new async invocation. Throws ResourceNotFoundException. */
  async #replay(id: string): Promise<void> {
    const letters = this.deliveries.letters;
    const letter = letters.get(id);
    if (!letter) throw new ResourceNotFound(`Dead letter not found: ${id}`);
    await this.invoke({
      functionName: letter.functionName,
      qualifier: letter.qualifier,
      payload: letter.payload,
      invocationType: 'Event',
      trigger: letter.trigger,
    });
    letters.delete(id);
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
