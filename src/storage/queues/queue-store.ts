import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { queueArn } from '../../shared/arn.js';
import type { BackgroundService, EngineContext } from '../../shared/context.js';
import { Topic } from '../../shared/events.js';
import { ACCOUNT_ID } from '../../shared/ids.js';
import { migrate } from '../../state/db.js';
import { COMPUTED_ATTRIBUTES, parseRedrivePolicy, SETTABLE_DEFAULTS, validateAttributes } from './attributes.js';
import {
  InvalidQueueParameter,
  MessageNotInflight,
  MissingQueueParameter,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiptHandleIsInvalid,
} from './errors.js';
import { md5OfBody, md5OfMessageAttributes } from './md5.js';
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

interface QueueRow {
  name: string;
  attributes: string;
  created_at: number;
  modified_at: number;
}

interface MessageRow {
  id: number;
  queue: string;
  message_id: string;
  body: string;
  message_attributes: string | null;
  md5_attrs: string | null;
  sent_at: number;
  visible_at: number;
  receive_count: number;
  first_receive_at: number | null;
  token: string | null;
  group_id: string | null;
  dedup_id: string | null;
  seq: string | null;
}

const QUEUE_NAME = /^[a-zA-Z0-9_-]{1,80}$/;
const DEDUP_WINDOW_MS = 5 * 60_000;
const MAX_RECEIVE = 10_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sqs_queues (
  name TEXT PRIMARY KEY,
  attributes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  modified_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sqs_messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  message_id TEXT NOT NULL,
  body TEXT NOT NULL,
  message_attributes TEXT,
  md5_attrs TEXT,
  sent_at INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  first_receive_at INTEGER,
  token TEXT,
  group_id TEXT,
  dedup_id TEXT,
  seq TEXT
);
CREATE INDEX IF NOT EXISTS sqs_messages_queue ON sqs_messages(queue, visible_at);
CREATE TABLE IF NOT EXISTS sqs_dedup (
  queue TEXT NOT NULL,
  dedup_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  seq TEXT,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (queue, dedup_id)
);
`;

/**
 * Queues with SQS semantics on SQLite: visibility timeouts, delays, long polling, redrive to a
 * dead-letter queue, and FIFO queues (per-group order, deduplication, sequence numbers). Every
 * acknowledged send is committed before it is acknowledged, so it survives `kill -9`.
 */
export class QueueStore implements BackgroundService {
  /** Fires after a send (or a message made visible again) with the queue name; wakes pollers. */
  readonly sent = new Topic<{ queue: string }>();
  #context: EngineContext;
  #now: () => number;
  #trimIntervalMs: number;
  #trimTimer?: NodeJS.Timeout;
  #waiters = new Map<string, Set<() => void>>();
  #stopped = false;

  constructor(context: EngineContext, options: QueueStoreOptions = {}) {
    this.#context = context;
    this.#now = options.now ?? Date.now;
    this.#trimIntervalMs = options.trimIntervalMs ?? 60_000;
    migrate(context.db, SCHEMA);
  }

  async start(): Promise<void> {
    this.#stopped = false;
    this.#trimTimer = setInterval(() => this.trim(), this.#trimIntervalMs);
    this.#trimTimer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#trimTimer);
    for (const set of this.#waiters.values()) for (const wake of set) wake();
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
    return this.#row(name) !== undefined;
  }

  /**
   * Creates a queue, or returns quietly when one exists with the same attributes.
   * @throws QueueNameExists (different attributes), InvalidParameterValue, InvalidAttributeName.
   */
  createQueue(name: string, attributes: Record<string, unknown> = {}): QueueInfo {
    const fifo = name.endsWith('.fifo');
    const base = fifo ? name.slice(0, -5) : name;
    if (!QUEUE_NAME.test(base)) {
      throw new InvalidQueueParameter(
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    }
    const attrs = validateAttributes(attributes);
    if ((attrs.FifoQueue === 'true') !== fifo) {
      if (attrs.FifoQueue === 'true' || fifo) {
        throw new InvalidQueueParameter(
          'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix.',
        );
      }
    }
    if (!fifo && attrs.ContentBasedDeduplication !== undefined) {
      throw new InvalidQueueParameter('ContentBasedDeduplication is only valid for FIFO queues');
    }
    if (fifo) attrs.FifoQueue = 'true';
    const existing = this.#row(name);
    const now = this.#now();
    if (existing) {
      const current = JSON.parse(existing.attributes) as Record<string, string>;
      for (const [key, value] of Object.entries(attrs)) {
        if ((current[key] ?? defaultOf(key)) !== value) throw new QueueNameExists(name);
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
    if (names.includes('All')) return all;
    const out: Record<string, string> = {};
    for (const key of names) {
      if (!(key in SETTABLE_DEFAULTS) && !(COMPUTED_ATTRIBUTES as readonly string[]).includes(key)) {
        throw new InvalidQueueParameter(`Unknown Attribute ${key}.`);
      }
      if (all[key] !== undefined) out[key] = all[key];
    }
    return out;
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
    const result = this.#context.db.transaction(() => this.#insert(name, input))();
    this.#wake(name);
    return result;
  }

  /** Sends up to 10 messages in one transaction; each entry succeeds or fails alone. */
  sendBatch(name: string, inputs: SendInput[]): ({ ok: true; result: SendResult } | { ok: false; error: unknown })[] {
    this.#require(name);
    const out = this.#context.db.transaction(() =>
      inputs.map((input) => {
        try {
          return { ok: true as const, result: this.#insert(name, input) };
        } catch (error) {
          return { ok: false as const, error };
        }
      }),
    )();
    this.#wake(name);
    return out;
  }

  /** Sends a plain message to the queue an ARN names (async destinations, dead-letter targets). */
  async sendByArn(arn: string, body: string): Promise<void> {
    const name = this.nameOf(arn);
    this.send(name, name.endsWith('.fifo') ? { body, groupId: 'lambdata', deduplicationId: randomUUID() } : { body });
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
      const got = this.#receiveNow(name, max, options.visibilityTimeout);
      if (got.length > 0 || this.#now() >= deadline || options.signal?.aborted || this.#stopped) return got;
      await this.#waitFor(name, deadline, options.signal);
      if (!this.hasQueue(name)) return [];
    }
  }

  /** Deletes a received message; a stale handle of a message received since is ignored. @throws ReceiptHandleIsInvalid */
  deleteMessage(name: string, receiptHandle: string): void {
    this.#require(name);
    const { id, token } = parseHandle(receiptHandle);
    this.#context.db.prepare('DELETE FROM sqs_messages WHERE id = ? AND queue = ? AND token = ?').run(id, name, token);
  }

  /**
   * Changes how long a received message stays invisible (0 makes it visible at once).
   * @throws ReceiptHandleIsInvalid, MessageNotInflight, InvalidParameterValue
   */
  changeVisibility(name: string, receiptHandle: string, seconds: number): void {
    this.#require(name);
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43200) {
      throw new InvalidQueueParameter(
        `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`,
      );
    }
    const { id, token } = parseHandle(receiptHandle);
    const now = this.#now();
    const row = this.#context.db
      .prepare('SELECT visible_at, token FROM sqs_messages WHERE id = ? AND queue = ?')
      .get(id, name) as { visible_at: number; token: string | null } | undefined;
    if (!row) throw new ReceiptHandleIsInvalid(receiptHandle);
    if (row.token !== token || row.visible_at <= now) throw new MessageNotInflight();
    this.#context.db.prepare('UPDATE sqs_messages SET visible_at = ? WHERE id = ?').run(now + seconds * 1000, id);
    if (seconds === 0) this.#wake(name);
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

  #row(name: string): QueueRow | undefined {
    return this.#context.db.prepare('SELECT * FROM sqs_queues WHERE name = ?').get(name) as QueueRow | undefined;
  }

  #require(name: string): QueueRow {
    const row = this.#row(name);
    if (!row) throw new QueueDoesNotExist(name);
    return row;
  }

  #insert(name: string, input: SendInput): SendResult {
    const row = this.#require(name);
    const attrs = { ...SETTABLE_DEFAULTS, ...(JSON.parse(row.attributes) as Record<string, string>) };
    const fifo = name.endsWith('.fifo');
    const db = this.#context.db;
    const now = this.#now();
    if (typeof input.body !== 'string' || input.body.length === 0) {
      throw new MissingQueueParameter('The request must contain the parameter MessageBody.');
    }
    if (Buffer.byteLength(input.body) > Number(attrs.MaximumMessageSize)) {
      throw new InvalidQueueParameter(
        `One or more parameters are invalid. Reason: Message must be shorter than ${attrs.MaximumMessageSize} bytes.`,
      );
    }
    validateMessageAttributes(input.messageAttributes);
    const delay = input.delaySeconds ?? Number(attrs.DelaySeconds);
    if (!Number.isInteger(delay) || delay < 0 || delay > 900) {
      throw new InvalidQueueParameter(
        `Value ${delay} for parameter DelaySeconds is invalid. Reason: Must be between 0 and 900.`,
      );
    }
    const result: SendResult = {
      messageId: randomUUID(),
      md5OfBody: md5OfBody(input.body),
      md5OfMessageAttributes: md5OfMessageAttributes(input.messageAttributes),
    };
    let dedupId: string | null = null;
    if (fifo) {
      if (!input.groupId) throw new MissingQueueParameter('The request must contain the parameter MessageGroupId.');
      if (input.delaySeconds !== undefined && input.delaySeconds !== 0) {
        throw new InvalidQueueParameter(
          `Value ${input.delaySeconds} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
        );
      }
      dedupId = input.deduplicationId ?? null;
      if (!dedupId) {
        if (attrs.ContentBasedDeduplication !== 'true') {
          throw new InvalidQueueParameter(
            'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
          );
        }
        dedupId = createHash('sha256').update(input.body).digest('hex');
      }
      const seen = db
        .prepare('SELECT message_id, seq FROM sqs_dedup WHERE queue = ? AND dedup_id = ? AND expires_at >= ?')
        .get(name, dedupId, now) as { message_id: string; seq: string } | undefined;
      if (seen) return { ...result, messageId: seen.message_id, sequenceNumber: seen.seq };
    }
    const info = db
      .prepare(
        `INSERT INTO sqs_messages (queue, message_id, body, message_attributes, md5_attrs, sent_at, visible_at, group_id, dedup_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        name,
        result.messageId,
        input.body,
        input.messageAttributes ? encodeAttributes(input.messageAttributes) : null,
        result.md5OfMessageAttributes ?? null,
        now,
        now + delay * 1000,
        input.groupId ?? null,
        dedupId,
      );
    if (fifo) {
      const seq = String(info.lastInsertRowid).padStart(20, '0');
      result.sequenceNumber = seq;
      db.prepare('UPDATE sqs_messages SET seq = ? WHERE id = ?').run(seq, info.lastInsertRowid);
      db.prepare(
        'INSERT OR REPLACE INTO sqs_dedup (queue, dedup_id, message_id, seq, expires_at) VALUES (?, ?, ?, ?, ?)',
      ).run(name, dedupId, result.messageId, seq, now + DEDUP_WINDOW_MS);
    }
    return result;
  }

  #receiveNow(name: string, max: number, visibilityTimeout?: number): ReceivedMessage[] {
    const db = this.#context.db;
    return db.transaction(() => {
      const row = this.#require(name);
      const attrs = { ...SETTABLE_DEFAULTS, ...(JSON.parse(row.attributes) as Record<string, string>) };
      const now = this.#now();
      const retentionCutoff = now - Number(attrs.MessageRetentionPeriod) * 1000;
      db.prepare('DELETE FROM sqs_messages WHERE queue = ? AND sent_at < ?').run(name, retentionCutoff);
      const redrive = parseRedrivePolicy(attrs.RedrivePolicy);
      const visibility = visibilityTimeout ?? Number(attrs.VisibilityTimeout);
      const candidates = this.#candidates(name, now, max, redrive !== undefined);
      const out: ReceivedMessage[] = [];
      const update = db.prepare(
        'UPDATE sqs_messages SET visible_at = ?, receive_count = receive_count + 1, first_receive_at = COALESCE(first_receive_at, ?), token = ? WHERE id = ?',
      );
      for (const message of candidates) {
        if (out.length >= max) break;
        if (
          redrive &&
          message.receive_count >= redrive.maxReceiveCount &&
          this.#moveToDeadLetter(message, redrive.deadLetterTargetArn)
        ) {
          continue;
        }
        const token = randomBytes(12).toString('hex');
        update.run(now + visibility * 1000, now, token, message.id);
        out.push(
          toReceived(
            { ...message, receive_count: message.receive_count + 1, first_receive_at: message.first_receive_at ?? now },
            token,
          ),
        );
      }
      return out;
    })();
  }

  /** Receivable messages in order; for FIFO queues a group with an in-flight or delayed message is skipped. */
  #candidates(name: string, now: number, max: number, redrive: boolean): MessageRow[] {
    const db = this.#context.db;
    // With a redrive policy some candidates move away, so read further ahead.
    const limit = redrive ? max * 4 + 100 : max;
    if (!name.endsWith('.fifo')) {
      return db
        .prepare('SELECT * FROM sqs_messages WHERE queue = ? AND visible_at <= ? ORDER BY id LIMIT ?')
        .all(name, now, limit) as MessageRow[];
    }
    const blocked = new Set<string>();
    const out: MessageRow[] = [];
    for (const message of db
      .prepare('SELECT * FROM sqs_messages WHERE queue = ? ORDER BY id')
      .iterate(name) as Iterable<MessageRow>) {
      const group = message.group_id ?? '';
      if (message.visible_at > now) {
        blocked.add(group);
        continue;
      }
      if (blocked.has(group)) continue;
      out.push(message);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Moves a message to the dead-letter queue; false when that queue does not exist (the message stays). */
  #moveToDeadLetter(message: MessageRow, targetArn: string): boolean {
    const target = this.nameOf(targetArn);
    if (!this.#row(target)) {
      this.#context.log.warn('dead-letter queue missing; message stays', { queue: message.queue, target });
      return false;
    }
    const db = this.#context.db;
    const info = db
      .prepare(
        `INSERT INTO sqs_messages (queue, message_id, body, message_attributes, md5_attrs, sent_at, visible_at, group_id, dedup_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        target,
        message.message_id,
        message.body,
        message.message_attributes,
        message.md5_attrs,
        message.sent_at,
        this.#now(),
        message.group_id,
        message.dedup_id,
      );
    if (target.endsWith('.fifo')) {
      db.prepare('UPDATE sqs_messages SET seq = ?, group_id = COALESCE(group_id, ?) WHERE id = ?').run(
        String(info.lastInsertRowid).padStart(20, '0'),
        'dead-letter',
        info.lastInsertRowid,
      );
    }
    db.prepare('DELETE FROM sqs_messages WHERE id = ?').run(message.id);
    queueMicrotask(() => this.#wake(target));
    return true;
  }

  #wake(name: string): void {
    this.sent.publish({ queue: name });
    const set = this.#waiters.get(name);
    if (set) for (const wake of [...set]) wake();
  }

  /** Resolves on a send to the queue, when the next delayed/in-flight message becomes visible, at the deadline, or on abort. */
  #waitFor(name: string, deadline: number, signal?: AbortSignal): Promise<void> {
    const now = this.#now();
    const next = this.#context.db
      .prepare('SELECT MIN(visible_at) AS t FROM sqs_messages WHERE queue = ? AND visible_at > ?')
      .get(name, now) as { t: number | null };
    const until = Math.min(deadline, next.t ?? deadline);
    return new Promise<void>((resolve) => {
      let set = this.#waiters.get(name);
      if (!set) {
        set = new Set();
        this.#waiters.set(name, set);
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0) this.#waiters.delete(name);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, until - now));
      set.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}

function defaultOf(key: string): string | undefined {
  return (SETTABLE_DEFAULTS as Record<string, string | undefined>)[key];
}

function validateMessageAttributes(attributes: Record<string, MessageAttributeValue> | undefined): void {
  if (!attributes) return;
  const names = Object.keys(attributes);
  if (names.length > 10)
    throw new InvalidQueueParameter(`Number of message attributes [${names.length}] exceeds the allowed maximum [10].`);
  for (const name of names) {
    const value = attributes[name] as MessageAttributeValue;
    if (!/^(String|Number|Binary)(\..+)?$/.test(value.dataType ?? '')) {
      throw new InvalidQueueParameter(
        `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
      );
    }
    const binary = value.dataType.startsWith('Binary');
    if (binary ? value.binaryValue === undefined : value.stringValue === undefined) {
      throw new InvalidQueueParameter(
        `Message (user) attribute '${name}' must contain a non-empty value of message attribute type '${value.dataType}'.`,
      );
    }
  }
}

function encodeAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const out: Record<string, { dataType: string; stringValue?: string; binaryValue?: string }> = {};
  for (const [name, v] of Object.entries(attributes)) {
    out[name] = { dataType: v.dataType, stringValue: v.stringValue, binaryValue: v.binaryValue?.toString('base64') };
  }
  return JSON.stringify(out);
}

function decodeAttributes(text: string | null): Record<string, MessageAttributeValue> {
  if (!text) return {};
  const parsed = JSON.parse(text) as Record<string, { dataType: string; stringValue?: string; binaryValue?: string }>;
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, v] of Object.entries(parsed)) {
    out[name] = {
      dataType: v.dataType,
      ...(v.stringValue !== undefined ? { stringValue: v.stringValue } : {}),
      ...(v.binaryValue !== undefined ? { binaryValue: Buffer.from(v.binaryValue, 'base64') } : {}),
    };
  }
  return out;
}

function toReceived(row: MessageRow, token: string): ReceivedMessage {
  const attributes: Record<string, string> = {
    SenderId: ACCOUNT_ID,
    SentTimestamp: String(row.sent_at),
    ApproximateReceiveCount: String(row.receive_count),
    ApproximateFirstReceiveTimestamp: String(row.first_receive_at),
  };
  if (row.group_id !== null) attributes.MessageGroupId = row.group_id;
  if (row.dedup_id !== null) attributes.MessageDeduplicationId = row.dedup_id;
  if (row.seq !== null) attributes.SequenceNumber = row.seq;
  return {
    messageId: row.message_id,
    receiptHandle: Buffer.from(`${row.id}:${token}`).toString('base64url'),
    body: row.body,
    md5OfBody: md5OfBody(row.body),
    ...(row.md5_attrs ? { md5OfMessageAttributes: row.md5_attrs } : {}),
    messageAttributes: decodeAttributes(row.message_attributes),
    attributes,
  };
}

function parseHandle(handle: string): { id: number; token: string } {
  const text = Buffer.from(String(handle), 'base64url').toString('utf8');
  const m = /^(\d+):([0-9a-f]{24})$/.exec(text);
  if (!m) throw new ReceiptHandleIsInvalid(handle);
  return { id: Number(m[1]), token: m[2] as string };
}
