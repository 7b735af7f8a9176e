import { arnService, functionArn } from '../shared/arn.js';
import { hasCode, InvalidParameterValue } from '../shared/errors.js';
import type { Topic } from '../shared/events.js';
import { newId, newRequestId } from '../shared/ids.js';
import type { Logger } from '../shared/log.js';
import type { Attempts } from './attempts.js';
import type { ConcurrencyLimiter, Slot } from './concurrency.js';
import type { DeadLetterStore } from './dead-letters.js';
import type { Delivery, DeliveryQueue, NewDelivery } from './delivery-queue.js';
import {
  type AttemptResponse,
  type DestinationSender,
  destinationRecord,
  type GiveUp,
  type SendAttribute,
} from './destinations.js';
import type { Execution, ExecutionRequest } from './execution.js';
import type { FunctionRegistry } from './registry.js';
import type { DeadLetter, EventInvokeConfig, FailureCondition, FunctionVersion } from './types.js';

/** What delivering needs. */
export interface DeliverDeps {
  queue: DeliveryQueue;
  functions: FunctionRegistry;
  limiter: ConcurrencyLimiter;
  attempts: Attempts;
  letters: DeadLetterStore;
  /** Senders of destinations that are not functions, by ARN service (`sqs` …). */
  senders: ReadonlyMap<string, DestinationSender>;
  /** What a destination type does with a record it failed to take for good (a topic's subscription DLQ). */
  giveUps: ReadonlyMap<string, GiveUp>;
  region: string;
  log: Logger;
  /** First retry delay (then doubled). */
  retryBaseMs: number;
  /** False once the engine is stopping: a failure then leaves the delivery queued for the next start. */
  running(): boolean;
  /** Where every letter that lands in the dead-letter store is published. */
  deadLetterAdded: Topic<DeadLetter>;
}

/** Attempts at sending a record to a queue (or topic) before it is given up on. */
const SEND_ATTEMPTS = 3;
/** AWS truncates a dead-letter message's ErrorMessage attribute to 1 KB. */
const ERROR_MESSAGE_BYTES = 1024;

/**
 * What dispatching a delivery did: started `work`, settled it at once (dropped or expired), or left
 * it pending because its function has no free concurrency; it expires unrun at `expiresAt`.
 */
export type Dispatch = { work: Promise<void> } | { settled: true } | { waitingForCapacity: true; expiresAt: number };

/**
 * Delivers one due delivery. An invocation runs under the function's async settings: retried with
 * doubling delays up to MaximumRetryAttempts, expired after MaximumEventAgeInSeconds, left pending
 * while the function has no free concurrency (a throttle, which is not an attempt), and ended by
 * queueing its destination record (on-success or on-failure) or, failing that, by a dead letter. A
 * record for a queue is sent, retried a few times, then given up on (keeping its dead letter when it
 * carries one).
 */
export function deliver(delivery: Delivery, deps: DeliverDeps, now: number): Dispatch {
  return delivery.kind === 'invoke' ? invoke(delivery, deps, now) : { work: send(delivery, deps) };
}

/**
 * Queues a destination record: a function gets an async invocation (trigger 'destination'), any
 * other destination a send through the sender of its service. Call it inside the transaction that
 * settles what the record reports. When the destination cannot take the record (no such function,
 * no sender for its service), `letter` is kept and returned; without one the record is dropped
 * with a warning.
 */
export function route(
  arn: string,
  record: Record<string, unknown>,
  deps: Pick<DeliverDeps, 'queue' | 'functions' | 'letters' | 'senders' | 'log'>,
  letter?: DeadLetter,
): DeadLetter | undefined {
  const base = { id: newRequestId(), payload: JSON.stringify(record), trigger: 'destination', enqueuedAt: Date.now() };
  const service = arnService(arn) ?? '';
  try {
    if (service === 'lambda') {
      const fn = deps.functions.route(arn);
      deps.queue.enqueue({ ...base, kind: 'invoke', target: fn.name, qualifier: fn.version });
    } else if (deps.senders.has(service)) {
      deps.queue.enqueue(
        letter ? { ...base, kind: 'send', target: arn, deadLetter: letter } : { ...base, kind: 'send', target: arn },
      );
    } else {
      throw new InvalidParameterValue(`Destination ${arn} is not a function or a known destination type`);
    }
    return undefined;
  } catch (err) {
    if (!hasCode(err, 'ResourceNotFoundException') && !hasCode(err, 'InvalidParameterValueException')) throw err;
    deps.log.warn('destination cannot take the record', { destination: arn, err });
    if (!letter) return undefined;
    deps.letters.add(letter);
    return letter;
  }
}

function invoke(delivery: Delivery, deps: DeliverDeps, now: number): Dispatch {
  let fn: FunctionVersion;
  let config: EventInvokeConfig;
  try {
    fn = deps.functions.get(delivery.target, delivery.qualifier);
    config = deps.functions.settings(fn.name).eventInvokeConfig;
  } catch (err) {
    if (hasCode(err, 'ResourceNotFoundException')) {
      deps.log.warn('dropping async event of a deleted function', {
        requestId: delivery.id,
        functionName: delivery.target,
      });
      deps.queue.settle(delivery);
      return { settled: true };
    }
    throw err;
  }
  const expiresAt = delivery.enqueuedAt + config.maximumEventAgeInSeconds * 1000;
  if (now > expiresAt) {
    fail(delivery, fn, config, 'EventAgeExceeded', deps);
    return { settled: true };
  }
  const slot = deps.limiter.tryAcquire(fn.name);
  if (!slot) return { waitingForCapacity: true, expiresAt: expiresAt + 1 };
  deps.queue.claim(delivery);
  return { work: attempt(delivery, fn, config, slot, deps) };
}

async function attempt(
  delivery: Delivery,
  fn: FunctionVersion,
  config: EventInvokeConfig,
  slot: Slot,
  deps: DeliverDeps,
): Promise<void> {
  const attempts = delivery.attempts + 1;
  const request: ExecutionRequest = {
    fn,
    requestId: delivery.id,
    payload: Buffer.from(delivery.payload),
    trigger: delivery.trigger,
    invocationType: 'Event',
    attempt: attempts,
  };
  if (delivery.clientContext !== undefined) request.clientContext = delivery.clientContext;
  let execution: Execution;
  try {
    execution = await deps.attempts.run(request);
  } finally {
    slot.release();
  }
  const response: AttemptResponse = { executedVersion: fn.version, payload: execution.payload };
  if (execution.functionError) response.functionError = execution.functionError;
  if (!execution.functionError) {
    const { onSuccess } = config;
    if (!onSuccess) {
      deps.queue.removeLater(delivery);
      return;
    }
    deps.queue.settle(delivery, () => {
      route(onSuccess, recordOf(delivery, fn, 'Success', attempts, deps.region, response), deps);
    });
    return;
  }
  if (!deps.running()) {
    // The engine is stopping (environments may have been killed under us): leave it for the next start.
    deps.queue.release(delivery.id);
    return;
  }
  if (attempts <= config.maximumRetryAttempts) {
    deps.queue.retry(delivery, attempts, Date.now() + deps.retryBaseMs * 2 ** (attempts - 1));
    return;
  }
  fail({ ...delivery, attempts }, fn, config, 'RetriesExhausted', deps, response);
}

/**
 * Final failure, as AWS settles a discarded event: the function's dead-letter queue or topic gets the
 * event (DeadLetterConfig) and the on-failure destination its record, both when both are set. The
 * local dead-letter store keeps the letter when neither is set, or when the one that carries it
 * cannot take it for good.
 */
function fail(
  delivery: Delivery,
  fn: FunctionVersion,
  config: EventInvokeConfig,
  condition: FailureCondition,
  deps: DeliverDeps,
  response?: AttemptResponse,
): void {
  const letter = deadLetterOf(delivery, fn, condition, response);
  const dlq = fn.deadLetterTargetArn;
  let kept: DeadLetter | undefined;
  deps.queue.settle(delivery, () => {
    if (dlq) {
      const dead: NewDelivery = {
        id: newRequestId(),
        kind: 'dead-letter',
        target: dlq,
        payload: delivery.payload,
        // Its own trigger, as destination records have: queue depths by trigger ('s3', 'sns') count events to run.
        trigger: 'dead-letter',
        deadLetter: letter,
        enqueuedAt: Date.now(),
      };
      deps.queue.enqueue(dead);
    }
    const { onFailure } = config;
    if (onFailure) {
      const record = recordOf(delivery, fn, condition, delivery.attempts, deps.region, response);
      kept = route(onFailure, record, deps, dlq ? undefined : letter);
    } else if (!dlq) {
      deps.letters.add(letter);
      kept = letter;
    }
  });
  if (kept) deps.deadLetterAdded.publish(kept);
  deps.log.info('async event failed', {
    requestId: delivery.id,
    functionName: fn.name,
    condition,
    attempts: delivery.attempts,
    toDestination: kept === undefined,
    ...(dlq ? { deadLetterTarget: dlq } : {}),
  });
}

function send(delivery: Delivery, deps: DeliverDeps): Promise<void> {
  deps.queue.claim(delivery);
  return (async () => {
    try {
      const sender = deps.senders.get(arnService(delivery.target) ?? '');
      if (!sender) throw new InvalidParameterValue(`No destination type can send to ${delivery.target}`);
      if (delivery.kind === 'dead-letter' && delivery.deadLetter) {
        await sender(delivery.target, delivery.payload, deadLetterAttributes(delivery.deadLetter));
      } else {
        await sender(delivery.target, delivery.payload);
      }
      deps.queue.removeLater(delivery);
    } catch (err) {
      const attempts = delivery.attempts + 1;
      if (!deps.running()) {
        deps.queue.release(delivery.id);
        return;
      }
      if (attempts < SEND_ATTEMPTS) {
        deps.log.warn('destination delivery failed; will retry', { destination: delivery.target, attempts, err });
        deps.queue.retry(delivery, attempts, Date.now() + deps.retryBaseMs * 2 ** (attempts - 1));
        return;
      }
      const letter = delivery.deadLetter;
      deps.queue.settle(delivery, () => {
        if (letter) deps.letters.add(letter);
        if (delivery.kind === 'send') {
          deps.giveUps.get(arnService(delivery.target) ?? '')?.(delivery.target, delivery.payload, err);
        }
      });
      deps.log.error('destination delivery failed; given up', { destination: delivery.target, attempts, err });
      if (letter) deps.deadLetterAdded.publish(letter);
    }
  })();
}

function recordOf(
  delivery: Delivery,
  fn: FunctionVersion,
  condition: 'Success' | FailureCondition,
  attempts: number,
  region: string,
  response?: AttemptResponse,
): Record<string, unknown> {
  const input: Parameters<typeof destinationRecord>[0] = {
    requestId: delivery.id,
    functionArn: functionArn(region, fn.name, fn.version),
    condition,
    approximateInvokeCount: attempts,
    requestPayload: delivery.payload,
  };
  if (response) input.response = response;
  return destinationRecord(input);
}

function deadLetterOf(
  delivery: Delivery,
  fn: FunctionVersion,
  condition: FailureCondition,
  response?: AttemptResponse,
): DeadLetter {
  const letter: DeadLetter = {
    id: newId('dl-'),
    requestId: delivery.id,
    functionName: fn.name,
    qualifier: fn.version,
    trigger: delivery.trigger,
    payload: delivery.payload,
    condition,
    attempts: delivery.attempts,
    enqueuedAt: delivery.enqueuedAt,
    failedAt: Date.now(),
  };
  const error = response ? parseError(response.payload) : undefined;
  if (error?.errorType) letter.errorType = error.errorType;
  if (error?.errorMessage) letter.errorMessage = error.errorMessage;
  return letter;
}

/**
 * The attributes Lambda puts on a dead-letter message: RequestID, ErrorCode (the HTTP status of the
 * failure: 200 for a function error, which Invoke reports with 200; 429 for an event that expired
 * unrun, waiting for capacity) and ErrorMessage (truncated to 1 KB).
 */
function deadLetterAttributes(letter: DeadLetter): Record<string, SendAttribute> {
  const ran = letter.attempts > 0;
  const message = ran
    ? (letter.errorMessage ?? letter.errorType ?? 'Function error')
    : 'Event age exceeded before the function could run';
  return {
    RequestID: { dataType: 'String', stringValue: letter.requestId },
    ErrorCode: { dataType: 'Number', stringValue: ran ? '200' : '429' },
    ErrorMessage: { dataType: 'String', stringValue: truncateUtf8(message, ERROR_MESSAGE_BYTES) },
  };
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `bytes`, cut at a character boundary. */
function truncateUtf8(text: string, bytes: number): string {
  if (Buffer.byteLength(text) <= bytes) return text;
  const cut = new TextDecoder().decode(Buffer.from(text).subarray(0, bytes));
  // A character split by the cut decodes to U+FFFD: drop it.
  return cut.endsWith('\uFFFD') ? cut.slice(0, -1) : cut;
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
