import { randomUUID } from 'node:crypto';
import type { Deliveries } from '../invoke/index.js';
import type { EngineContext } from '../shared/context.js';
import { hasCode, LambdataError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { MessageAttributeValue, QueueStore, SendInput } from '../storage/queues/index.js';
import {
  compileFilterPolicy,
  type FilterPolicy,
  type SubscriptionInfo,
  scopeOf,
  type TopicInfo,
  type TopicMessageAttribute,
  type TopicStore,
} from '../storage/topics/index.js';
import {
  confirmationMessage,
  expandLambdaEvent,
  notificationEnvelope,
  type SnsMessage,
  storedLambdaEvent,
} from './sns-messages.js';
import { EndpointRefused } from './topic-errors.js';
import { attributeValues, type CheckedPublish, checkPublish, type PublishInput } from './topic-messages.js';

/** What the publisher delivers through. */
export interface TopicPublisherOptions {
  topics: TopicStore;
  queues: QueueStore;
  deliveries: Pick<Deliveries, 'invoke' | 'send' | 'addDestinationType' | 'addPayloadForm'>;
}

/** The answer to a publish. */
export interface PublishResult {
  messageId: string;
  /** FIFO topics. */
  sequenceNumber?: string;
}

/** A publish among a batch's, with its entry id. */
export type BatchOutcome =
  | { id: string; ok: true; result: PublishResult }
  | { id: string; ok: false; error: LambdataError };

/** A message on its way to an HTTP/HTTPS endpoint (the payload of its delivery). */
interface EndpointDelivery {
  type: 'Notification' | 'SubscriptionConfirmation';
  messageId: string;
  topicArn: string;
  /** What the endpoint receives: the envelope JSON, or the raw message. */
  body: string;
  raw?: boolean;
}

/** The trigger of invocations a topic causes. */
const TRIGGER = 'sns';
/** The form a subscribed function's event waits in the delivery queue: the message, built into the event when it runs. */
const LAMBDA_EVENT_FORM = 'sns-lambda-event';
const HTTP_TIMEOUT_MS = 15_000;

/**
 * SNS delivery. A publish is checked, then fanned out in one transaction: a subscribed function gets
 * an async invocation with the `Records[].Sns` event, a subscribed queue a message (envelope or raw),
 * an HTTP/HTTPS endpoint a durable delivery POSTed with retries and backoff. A subscription whose
 * target cannot take a message, or whose endpoint keeps failing, sends it to its RedrivePolicy's
 * queue. Everything is committed before the publish is acknowledged, so it survives `kill -9`.
 * It also makes topics a destination type of the delivery pipeline (async-invoke destinations).
 */
export class TopicPublisher {
  #log: Logger;
  #context: EngineContext;
  #topics: TopicStore;
  #queues: QueueStore;
  #deliveries: TopicPublisherOptions['deliveries'];
  #policies = new Map<string, { text: string; scope: string; policy: FilterPolicy }>();
  /** Runs a function in a transaction, or in a savepoint inside the caller's. */
  #inTransaction: (work: () => unknown) => unknown;
  /** Publishes waiting for the next group commit. */
  #pending: Array<{ work: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void }> = [];

  constructor(context: EngineContext, options: TopicPublisherOptions) {
    // One wrapper, made once: better-sqlite3 builds a new one on every `transaction()` call.
    this.#inTransaction = context.db.transaction((work: () => unknown) => work());
    this.#context = context;
    this.#log = context.log.child({ component: 'topics' });
    this.#topics = options.topics;
    this.#queues = options.queues;
    this.#deliveries = options.deliveries;
    this.#deliveries.addDestinationType(
      'sns',
      (arn, payload, attributes) => this.#sendDelivery(arn, payload, attributes),
      (arn, payload, err) => this.#giveUp(arn, payload, err),
    );
    this.#deliveries.addPayloadForm(LAMBDA_EVENT_FORM, expandLambdaEvent);
  }

  /**
   * Publishes one message. Resolves once it and every delivery it causes are committed; publishes
   * made in the same turn of the event loop share one commit (group commit), each in a savepoint of
   * its own, so one that fails leaves the others whole. @throws NotFound, InvalidParameter
   */
  publish(input: PublishInput): Promise<PublishResult> {
    // #grouped runs it in a savepoint of its own already.
    return this.#grouped(() => this.#publish(this.#topics.topic(input.topicArn), input));
  }

  /** Publishes inside the caller's transaction (an S3 notification inside its object's). @throws NotFound, InvalidParameter */
  publishNow(input: PublishInput): PublishResult {
    return this.#inTransaction(() => this.#publish(this.#topics.topic(input.topicArn), input)) as PublishResult;
  }

  /** True when the topic an ARN names exists. */
  hasTopic(topicArn: string): boolean {
    try {
      this.#topics.topic(topicArn);
      return true;
    } catch (err) {
      if (hasCode(err, 'NotFound') || hasCode(err, 'InvalidParameter')) return false;
      throw err;
    }
  }

  /** Publishes up to ten messages in one commit; each entry succeeds or fails alone. @throws NotFound */
  publishBatch(topicArn: string, entries: Array<PublishInput & { id: string }>): Promise<BatchOutcome[]> {
    return this.#grouped(() => this.#publishBatch(topicArn, entries));
  }

  /** Runs in its group commit's savepoint. */
  #publishBatch(topicArn: string, entries: Array<PublishInput & { id: string }>): BatchOutcome[] {
    const topic = this.#topics.topic(topicArn);
    return entries.map((entry): BatchOutcome => {
      try {
        return { id: entry.id, ok: true, result: this.#publish(topic, entry) };
      } catch (error) {
        if (!(error instanceof LambdataError)) throw error;
        return { id: entry.id, ok: false, error };
      }
    });
  }

  /**
   * Subscribes an endpoint. An HTTP/HTTPS endpoint is sent a SubscriptionConfirmation (durably, with
   * retries) and stays pending until it confirms. @throws NotFound, InvalidParameter
   */
  subscribe(
    topicArn: string,
    protocol: string,
    endpoint: string,
    attributes: Record<string, string> = {},
  ): SubscriptionInfo {
    return this.#inTransaction(() => {
      const sub = this.#topics.subscribe(topicArn, protocol, endpoint, attributes);
      if (!sub.confirmed && sub.token) {
        const messageId = randomUUID();
        const confirmation = confirmationMessage(
          { messageId, topicArn: sub.topicArn, token: sub.token, timestamp: new Date().toISOString() },
          this.#context.endpoint(),
        );
        const delivery: EndpointDelivery = {
          type: 'SubscriptionConfirmation',
          messageId,
          topicArn: sub.topicArn,
          body: JSON.stringify(confirmation),
        };
        this.#deliveries.send(sub.arn, delivery as unknown as Record<string, unknown>);
      }
      return sub;
    }) as SubscriptionInfo;
  }

  /** Runs `work` in the next group commit; settles once that commit is done. */
  #grouped<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.#pending.length === 1) setImmediate(() => this.#commitPending());
    });
  }

  #commitPending(): void {
    const group = this.#pending;
    this.#pending = [];
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      this.#inTransaction(() => {
        for (const { work } of group) {
          try {
            outcomes.push({ ok: true, value: this.#inTransaction(work) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const item of group) item.reject(error);
      return;
    }
    group.forEach((item, i) => {
      const outcome = outcomes[i] as (typeof outcomes)[number];
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  #publish(topic: TopicInfo, input: PublishInput): PublishResult {
    const checked = checkPublish(topic, input);
    const now = Date.now();
    let result: PublishResult = { messageId: randomUUID() };
    if (topic.fifo) {
      const seq = this.#topics.sequence(topic.name, checked.deduplicationId as string, result.messageId, now);
      result = { messageId: seq.messageId, sequenceNumber: seq.sequenceNumber };
      if (seq.duplicate) return result;
    }
    const base = {
      messageId: result.messageId,
      topicArn: topic.arn,
      timestamp: new Date(now).toISOString(),
      ...(input.subject !== undefined ? { subject: input.subject } : {}),
      ...(input.attributes && Object.keys(input.attributes).length ? { attributes: input.attributes } : {}),
      ...(result.sequenceNumber ? { sequenceNumber: result.sequenceNumber } : {}),
    };
    for (const sub of this.#topics.fanOutOf(topic.name)) {
      const message: SnsMessage = { ...base, message: checked.messageFor(sub.protocol) };
      if (!this.#matches(sub, message)) continue;
      this.#deliver(sub, message, input, checked);
    }
    return result;
  }

  #matches(sub: SubscriptionInfo, message: SnsMessage): boolean {
    const text = sub.attributes.FilterPolicy;
    if (!text) return true;
    const scope = scopeOf(sub.attributes);
    let cached = this.#policies.get(sub.arn);
    if (!cached || cached.text !== text || cached.scope !== scope) {
      cached = { text, scope, policy: compileFilterPolicy(text, scope) };
      this.#policies.set(sub.arn, cached);
    }
    if (scope === 'MessageAttributes') return cached.policy(attributeValues(message.attributes ?? {}));
    const body = parseObject(message.message);
    return body !== undefined && cached.policy(body);
  }

  /** Runs inside the publish's transaction. */
  #deliver(sub: SubscriptionInfo, message: SnsMessage, input: PublishInput, checked: CheckedPublish): void {
    const raw = sub.attributes.RawMessageDelivery?.toLowerCase() === 'true';
    const endpoint = this.#context.endpoint();
    // A function gets the Records[].Sns event; the envelope is only built when its message must go to a DLQ.
    const bodyOf = () =>
      raw && sub.protocol !== 'lambda'
        ? message.message
        : JSON.stringify(notificationEnvelope(message, sub.arn, endpoint));
    try {
      if (sub.protocol === 'lambda') {
        const payload = storedLambdaEvent(message, sub.arn, endpoint);
        this.#deliveries.invoke({
          functionName: sub.endpoint,
          payload,
          trigger: TRIGGER,
          payloadForm: LAMBDA_EVENT_FORM,
        });
        return;
      }
      const body = bodyOf();
      if (sub.protocol === 'sqs') {
        const send: SendInput = { body };
        if (raw && message.attributes) send.messageAttributes = toQueueAttributes(message.attributes);
        if (input.groupId && sub.endpoint.endsWith('.fifo')) {
          send.groupId = input.groupId;
          send.deduplicationId = checked.deduplicationId ?? message.messageId;
        }
        this.#queues.send(this.#queues.nameOf(sub.endpoint), send);
      } else {
        const delivery: EndpointDelivery = {
          type: 'Notification',
          messageId: message.messageId,
          topicArn: sub.topicArn,
          body,
          raw,
        };
        this.#deliveries.send(sub.arn, delivery as unknown as Record<string, unknown>);
      }
    } catch (err) {
      // The target is gone or refuses the message: as SNS does for such client errors, straight to the DLQ.
      if (!(err instanceof LambdataError) || err.status >= 500) throw err;
      this.#toDeadLetterQueue(sub, bodyOf(), err);
    }
  }

  /** The delivery pipeline's sender for `sns` ARNs: a topic (async destination) or a subscription's endpoint. */
  async #sendDelivery(arn: string, payload: string, attributes?: Record<string, TopicMessageAttribute>): Promise<void> {
    if (this.#topics.isTopicArn(arn)) {
      const topic = this.#topics.topic(arn);
      const input: PublishInput = topic.fifo
        ? { topicArn: arn, message: payload, groupId: 'lambdata', deduplicationId: randomUUID() }
        : { topicArn: arn, message: payload };
      if (attributes) input.attributes = attributes;
      await this.publish(input);
      return;
    }
    let sub: SubscriptionInfo;
    try {
      sub = this.#topics.subscription(arn);
    } catch (err) {
      if (!hasCode(err, 'NotFound')) throw err;
      this.#log.info('dropping a message for a deleted subscription', { subscription: arn });
      return;
    }
    const delivery = JSON.parse(payload) as EndpointDelivery;
    if (delivery.type === 'Notification' && !sub.confirmed) return;
    await post(sub, delivery);
  }

  #giveUp(arn: string, payload: string, err: unknown): void {
    if (!this.#topics.isSubscriptionArn(arn)) return;
    const delivery = JSON.parse(payload) as EndpointDelivery;
    if (delivery.type !== 'Notification') return;
    try {
      this.#toDeadLetterQueue(this.#topics.subscription(arn), delivery.body, err);
    } catch (cause) {
      if (!hasCode(cause, 'NotFound')) throw cause;
    }
  }

  #toDeadLetterQueue(sub: SubscriptionInfo, body: string, err: unknown): void {
    const policy = sub.attributes.RedrivePolicy
      ? (JSON.parse(sub.attributes.RedrivePolicy) as { deadLetterTargetArn: string })
      : undefined;
    if (!policy) {
      this.#log.warn('message dropped: its endpoint cannot take it and the subscription has no RedrivePolicy', {
        subscription: sub.arn,
        err,
      });
      return;
    }
    const name = this.#queues.nameOf(policy.deadLetterTargetArn);
    const code = err instanceof LambdataError ? err.code : 'InternalError';
    const messageAttributes: Record<string, MessageAttributeValue> = {
      ErrorCode: { dataType: 'String', stringValue: code },
      ErrorMessage: { dataType: 'String', stringValue: err instanceof Error ? err.message : String(err) },
      RequestID: { dataType: 'String', stringValue: randomUUID() },
    };
    const send: SendInput = { body, messageAttributes };
    if (name.endsWith('.fifo')) Object.assign(send, { groupId: 'lambdata', deduplicationId: randomUUID() });
    try {
      this.#queues.send(name, send);
    } catch (cause) {
      if (!hasCode(cause, 'QueueDoesNotExist')) throw cause;
      this.#log.warn('message dropped: the subscription dead-letter queue does not exist', {
        subscription: sub.arn,
        queue: name,
      });
    }
  }
}

/** POSTs a message to an HTTP/HTTPS endpoint as SNS does; throws EndpointRefused on a status other than 2xx. */
async function post(sub: SubscriptionInfo, delivery: EndpointDelivery): Promise<void> {
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=UTF-8',
    'user-agent': 'Amazon Simple Notification Service Agent',
    'x-amz-sns-message-type': delivery.type,
    'x-amz-sns-message-id': delivery.messageId,
    'x-amz-sns-topic-arn': delivery.topicArn,
  };
  if (delivery.type === 'Notification') headers['x-amz-sns-subscription-arn'] = sub.arn;
  if (delivery.raw) headers['x-amz-sns-rawdelivery'] = 'true';
  const response = await fetch(sub.endpoint, {
    method: 'POST',
    headers,
    body: delivery.body,
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    redirect: 'manual',
  });
  await response.body?.cancel();
  if (response.status < 200 || response.status > 299) throw new EndpointRefused(sub.endpoint, response.status);
}

function toQueueAttributes(attributes: Record<string, TopicMessageAttribute>): Record<string, MessageAttributeValue> {
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, a] of Object.entries(attributes)) {
    out[name] = {
      dataType: a.dataType,
      ...(a.stringValue !== undefined ? { stringValue: a.stringValue } : {}),
      ...(a.binaryValue !== undefined ? { binaryValue: a.binaryValue } : {}),
    };
  }
  return out;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}
