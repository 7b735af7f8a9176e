import { randomUUID } from 'node:crypto';
import { queueArn } from '../../shared/arn.js';
import type { BackgroundService, EngineContext } from '../../shared/context.js';
import { Topic } from '../../shared/events.js';
import { ACCOUNT_ID } from '../../shared/ids.js';
import {
  matchesStored,
  newQueueAttributes,
  SETTABLE_DEFAULTS,
  selectAttributes,
  validateAttributes,
} from './attributes.js';
import { InvalidQueueParameter, QueueNameExists } from './errors.js';
import { LongPolls } from './long-poll.js';
import { changeVisibility, deleteReceived, receiveNow } from './receive.js';
import { migrateQueues, type QueueContext, type QueueRow, queueRow, requireQueue } from './schema.js';
import { insertMessage } from './send.js';
import type {
  MessageAttributeValue,
  QueueDepth,
  QueueInfo,
  ReceivedMessage,
  ReceiveOptions,
  SendInput,
  SendResult,
} from './types.js';

/** Options of a QueueStore; tests pass a clock. */
export interface QueueStoreOptions {
  now?: () => number;
  /** How often expired messages and dedup entries are deleted (default 60 s). */
  trimIntervalMs?: number;
}

const MAX_RECEIVE = 10_000;

/**
 * Queues with SQS semantics on SQLite: visibility timeouts, delays, long polling, redrive to a
 * dead-letter queue, and FIFO queues (per-group order, deduplication, sequence numbers). Every
 * acknowledged send is committed before it is acknowledged, so it survives `kill -9`.
 * The send path lives in send.ts, the receive side in receive.ts, redrive in dead-letter.ts.
 */
export class QueueStore implements BackgroundService {
  /** Fires after a send (or a message made visible again) with the queue name; wakes pollers. */
  readonly sent = new Topic<{ queue: string }>();
  #context: EngineContext;
  #now: () => number;
  #trimIntervalMs: number;
  #trimTimer?: NodeJS.Timeout;
  #polls: LongPolls;
  #queues: QueueContext;
  #stopped = false;

  constructor(context: EngineContext, options: QueueStoreOptions = {}) {
    this.#context = context;
    this.#now = options.now ?? Date.now;
    this.#trimIntervalMs = options.trimIntervalMs ?? 60_000;
    this.#polls = new LongPolls(context.db, this.#now);
    this.#queues = {
      db: context.db,
      log: context.log,
      now: this.#now,
      wake: (name) => this.#wake(name),
      nameOf: (urlArnOrName) => this.nameOf(urlArnOrName),
    };
    migrateQueues(context.db);
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#trimTimer = setInterval(() => this.trim(), this.#trimIntervalMs);
    this.#trimTimer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#trimTimer);
    this.#polls.wakeAll();
  }

  /** `http://<endpoint>/000000000000/<name>`. */
  queueUrl(name: string): string {
    return `${this.#context.endpoint().replace(/\/$/, '')}/${ACCOUNT_ID}/${name}`;
  }

  /** `arn:aws:sqs:<region>:000000000000:<name>`. */
  queueArn(name: string): string {
    return queueArn(this.#context.region, name);
  }

  /** The queue name in a queue URL, ARN or plain name. */
  nameOf(urlArnOrName: string): string {
    if (urlArnOrName.startsWith('arn:')) return urlArnOrName.slice(urlArnOrName.lastIndexOf(':') + 1);
    const trimmed = urlArnOrName.replace(/\/+$/, '');
    return trimmed.slice(trimmed.lastIndexOf('/') + 1);
  }

  /** True when the queue exists. */
  hasQueue(name: string): boolean {
    return queueRow(this.#context.db, name) !== undefined;
  }

  /**
   * Creates a queue, or returns quietly when one exists with the same attributes.
   * @throws QueueNameExists (different attributes), InvalidParameterValue, InvalidAttributeName.
   */
  createQueue(name: string, attributes: Record<string, unknown> = {}): QueueInfo {
    const attrs = newQueueAttributes(name, attributes);
    const existing = queueRow(this.#context.db, name);
    const now = this.#now();
    if (existing) {
      if (!matchesStored(JSON.parse(existing.attributes) as Record<string, string>, attrs)) {
        throw new QueueNameExists(name);
      }
      return this.describe(name);
    }
    this.#context.db
      .prepare('INSERT INTO sqs_queues (name, attributes, created_at, modified_at) VALUES (?, ?, ?, ?)')
      .run(name, JSON.stringify(attrs), now, now);
    return this.describe(name);
  }

  /** Deletes a queue and its messages. @throws QueueDoesNotExist */
  deleteQueue(name: string): void {
    this.#require(name);
    const db = this.#context.db;
    db.transaction(() => {
      db.prepare('DELETE FROM sqs_messages WHERE queue = ?').run(name);
      db.prepare('DELETE FROM sqs_dedup WHERE queue = ?').run(name);
      db.prepare('DELETE FROM sqs_queues WHERE name = ?').run(name);
    })();
  }

  /** Queue names, optionally only those starting with `prefix`, sorted. */
  listQueues(prefix = ''): string[] {
    const rows = this.#context.db.prepare('SELECT name FROM sqs_queues ORDER BY name').all() as { name: string }[];
    return rows.map((r) => r.name).filter((n) => n.startsWith(prefix));
  }

  /** Name, URL, ARN, attributes and depth of a queue. @throws QueueDoesNotExist */
  describe(name: string): QueueInfo {
    const attributes = this.getAttributes(name, ['All']);
    return {
      name,
      url: this.queueUrl(name),
      arn: this.queueArn(name),
      fifo: name.endsWith('.fifo'),
      attributes,
      depth: this.depth(name),
    };
  }

  /** Message counts: visible, in flight (received, not deleted) and delayed. @throws QueueDoesNotExist */
  depth(name: string): QueueDepth {
    this.#require(name);
    const now = this.#now();
    const row = this.#context.db
      .prepare(
        `SELECT SUM(visible_at <= @now) AS visible,
                SUM(visible_at > @now AND receive_count > 0) AS inFlight,
                SUM(visible_at > @now AND receive_count = 0) AS delayed
         FROM sqs_messages WHERE queue = @name`,
      )
      .get({ now, name }) as Record<keyof QueueDepth, number | null>;
    return { visible: row.visible ?? 0, inFlight: row.inFlight ?? 0, delayed: row.delayed ?? 0 };
  }

  /**
   * Queue attributes by name ('All' for every one), including the computed ones.
   * @throws QueueDoesNotExist
   */
  getAttributes(name: string, names: string[] = ['All']): Record<string, string> {
    const row = this.#require(name);
    const stored = JSON.parse(row.attributes) as Record<string, string>;
    const depth = this.depth(name);
    const all: Record<string, string> = {};
    for (const [key, value] of Object.entries(SETTABLE_DEFAULTS)) {
      const v = stored[key] ?? value;
      if (v !== undefined) all[key] = v;
    }
    Object.assign(all, {
      QueueArn: this.queueArn(name),
      ApproximateNumberOfMessages: String(depth.visible),
      ApproximateNumberOfMessagesNotVisible: String(depth.inFlight),
      ApproximateNumberOfMessagesDelayed: String(depth.delayed),
      CreatedTimestamp: String(Math.floor(row.created_at / 1000)),
      LastModifiedTimestamp: String(Math.floor(row.modified_at / 1000)),
    });
    return selectAttributes(all, names);
  }

  /** Sets queue attributes (FifoQueue cannot change). @throws QueueDoesNotExist, InvalidParameterValue */
  setAttributes(name: string, attributes: Record<string, unknown>): void {
    const row = this.#require(name);
    const attrs = validateAttributes(attributes);
    if (attrs.FifoQueue !== undefined && attrs.FifoQueue !== String(name.endsWith('.fifo'))) {
      throw new InvalidQueueParameter('Invalid value for the parameter FifoQueue: it cannot be changed.');
    }
    const merged = { ...(JSON.parse(row.attributes) as Record<string, string>), ...attrs };
    for (const [key, value] of Object.entries(merged)) if (value === '') delete merged[key];
    this.#context.db
      .prepare('UPDATE sqs_queues SET attributes = ?, modified_at = ? WHERE name = ?')
      .run(JSON.stringify(merged), this.#now(), name);
    this.#wake(name);
  }

  /**
   * Sends one message; committed before it returns.
   * @throws QueueDoesNotExist, InvalidParameterValue, MissingParameter (FIFO without a group id)
   */
  send(name: string, input: SendInput): SendResult {
    const db = this.#context.db;
    // Inside a caller's transaction (an SNS fan-out) this is a savepoint; the insert needs no wrapper of its own then.
    const result = db.inTransaction
      ? insertMessage(db, name, input, this.#now())
      : db.transaction(() => insertMessage(db, name, input, this.#now()))();
    this.#wake(name);
    return result;
  }

  /** Sends up to 10 messages in one transaction; each entry succeeds or fails alone. */
  sendBatch(name: string, inputs: SendInput[]): ({ ok: true; result: SendResult } | { ok: false; error: unknown })[] {
    this.#require(name);
    const db = this.#context.db;
    const out = db.transaction(() =>
      inputs.map((input) => {
        try {
          return { ok: true as const, result: insertMessage(db, name, input, this.#now()) };
        } catch (error) {
          return { ok: false as const, error };
        }
      }),
    )();
    this.#wake(name);
    return out;
  }

  /** Sends a message (with attributes when given) to the queue an ARN names (async destinations, dead-letter targets). */
  async sendByArn(arn: string, body: string, messageAttributes?: Record<string, MessageAttributeValue>): Promise<void> {
    const name = this.nameOf(arn);
    const input: SendInput = name.endsWith('.fifo')
      ? { body, groupId: 'lambdata', deduplicationId: randomUUID() }
      : { body };
    if (messageAttributes) input.messageAttributes = messageAttributes;
    this.send(name, input);
  }

  /**
   * Receives up to `maxMessages` messages, long polling up to `waitSeconds` (woken at once by a
   * send). Messages past the queue's maxReceiveCount are moved to its dead-letter queue instead.
   * @throws QueueDoesNotExist
   */
  async receive(name: string, options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const row = this.#require(name);
    const attrs = JSON.parse(row.attributes) as Record<string, string>;
    const max = options.maxMessages ?? 1;
    if (!Number.isInteger(max) || max < 1 || max > MAX_RECEIVE) {
      throw new InvalidQueueParameter(
        `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
      );
    }
    const wait = options.waitSeconds ?? Number(attrs.ReceiveMessageWaitTimeSeconds ?? 0);
    const deadline = this.#now() + wait * 1000;
    for (;;) {
      const got = receiveNow(this.#queues, name, max, options.visibilityTimeout);
      if (got.length > 0 || this.#now() >= deadline || options.signal?.aborted || this.#stopped) return got;
      await this.#polls.wait(name, deadline, options.signal);
      if (!this.hasQueue(name)) return [];
    }
  }

  /** Deletes a received message; a stale handle of a message received since is ignored. @throws ReceiptHandleIsInvalid */
  deleteMessage(name: string, receiptHandle: string): void {
    this.#require(name);
    deleteReceived(this.#queues, name, receiptHandle);
  }

  /**
   * Changes how long a received message stays invisible (0 makes it visible at once).
   * @throws ReceiptHandleIsInvalid, MessageNotInflight, InvalidParameterValue
   */
  changeVisibility(name: string, receiptHandle: string, seconds: number): void {
    this.#require(name);
    changeVisibility(this.#queues, name, receiptHandle, seconds);
  }

  /** Deletes every message of a queue. @throws QueueDoesNotExist */
  purge(name: string): void {
    this.#require(name);
    this.#context.db.prepare('DELETE FROM sqs_messages WHERE queue = ?').run(name);
  }

  /** Deletes messages past their queue's retention period and expired dedup entries; returns how many messages. */
  trim(): number {
    const now = this.#now();
    let removed = 0;
    const db = this.#context.db;
    for (const name of this.listQueues()) {
      const retention = Number(this.getAttributes(name, ['MessageRetentionPeriod']).MessageRetentionPeriod);
      removed += db
        .prepare('DELETE FROM sqs_messages WHERE queue = ? AND sent_at < ?')
        .run(name, now - retention * 1000).changes;
    }
    db.prepare('DELETE FROM sqs_dedup WHERE expires_at < ?').run(now);
    return removed;
  }

  #require(name: string): QueueRow {
    return requireQueue(this.#context.db, name);
  }

  #wake(name: string): void {
    this.sent.publish({ queue: name });
    this.#polls.wake(name);
  }
}
