import { randomBytes, randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { topicArn } from '../../shared/arn.js';
import type { EngineContext } from '../../shared/context.js';
import { ACCOUNT_ID } from '../../shared/ids.js';
import type { Db } from '../../state/db.js';
import { checkSubscriptionAttributes, checkTopicAttributes } from './attributes.js';
import { InvalidTopicParameter, TopicNotFound } from './errors.js';
import { migrateTopics, type SubscriptionRow, type TopicRow } from './schema.js';
import { PROTOCOLS, type Protocol, type SubscriptionInfo, type TopicInfo } from './types.js';

const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const FIFO_TOPIC_NAME = /^[A-Za-z0-9_-]{1,251}\.fifo$/;
const TOPIC_ARN = /^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:([A-Za-z0-9_.-]{1,256})$/;
const SUBSCRIPTION_ARN = /^arn:aws[\w-]*:sns:[a-z0-9-]+:\d{12}:([A-Za-z0-9_.-]{1,256}):[0-9a-f-]{36}$/;
const FUNCTION_ARN = /^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[\w$-]+)?$/;
const QUEUE_ARN = /^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/;
const DEDUP_WINDOW_MS = 5 * 60_000;
const MAX_TAGS = 50;
/**
 * The delivery policy lambdata applies to HTTP/HTTPS endpoints, in SNS's shape: the delivery
 * pipeline's two retries after one, two seconds (LAMBDATA_RETRY_BASE_MS doubled), then the DLQ.
 */
const DEFAULT_DELIVERY_POLICY = {
  http: {
    defaultHealthyRetryPolicy: {
      minDelayTarget: 1,
      maxDelayTarget: 2,
      numRetries: 2,
      numMaxDelayRetries: 0,
      numNoDelayRetries: 0,
      numMinDelayRetries: 0,
      backoffFunction: 'exponential',
    },
    disableSubscriptionOverrides: false,
  },
};

/**
 * Topics and subscriptions with SNS's rules, in SQLite: idempotent creation, FIFO topics (sequence
 * numbers, five-minute deduplication), subscriptions pending until an HTTP endpoint confirms,
 * attributes and tags. Delivery lives in events/ (the topic publisher).
 */
export class TopicStore {
  #db: Db;
  #region: string;
  /** Confirmed subscriptions by topic name, read on every publish. */
  #fanOut = new Map<string, SubscriptionInfo[]>();
  /** Prepared statements by SQL text (preparing costs more than running these small queries). */
  #statements = new Map<string, Statement>();

  constructor(context: EngineContext) {
    this.#db = context.db;
    this.#region = context.region;
    migrateTopics(this.#db);
  }

  /** `arn:aws:sns:<region>:000000000000:<name>`. */
  topicArn(name: string): string {
    return topicArn(this.#region, name);
  }

  /** The topic name in a topic ARN. @throws InvalidParameter when it is no topic ARN */
  nameOf(topicArn: string): string {
    const name = TOPIC_ARN.exec(String(topicArn))?.[1];
    if (!name) throw new InvalidTopicParameter('Invalid parameter: TopicArn');
    return name;
  }

  /** True for a topic ARN (not a subscription ARN). */
  isTopicArn(arn: string): boolean {
    return TOPIC_ARN.test(arn);
  }

  /** True for a subscription ARN. */
  isSubscriptionArn(arn: string): boolean {
    return SUBSCRIPTION_ARN.test(arn);
  }

  /**
   * Creates a topic, or returns the one of that name when its attributes and tags are the same.
   * @throws InvalidParameter (bad name, attributes, FIFO mismatch, or an existing topic that differs)
   */
  createTopic(name: string, attributes: Record<string, string> = {}, tags: Record<string, string> = {}): TopicInfo {
    const fifo = attributes.FifoTopic?.toLowerCase() === 'true';
    if (!(fifo ? FIFO_TOPIC_NAME : TOPIC_NAME).test(name)) {
      throw new InvalidTopicParameter(
        fifo
          ? 'Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.'
          : 'Invalid parameter: Topic Name',
      );
    }
    checkTopicAttributes(attributes);
    if (fifo) attributes.FifoTopic = 'true';
    else delete attributes.FifoTopic;
    if (Object.keys(tags).length > MAX_TAGS)
      throw new InvalidTopicParameter('Could not complete request: tag quota of per resource exceeded');
    const existing = this.#row(name);
    if (existing) {
      const stored = JSON.parse(existing.attributes) as Record<string, string>;
      if (Object.entries(attributes).some(([k, v]) => (stored[k] ?? '') !== v)) {
        throw new InvalidTopicParameter(
          'Invalid parameter: Attributes Reason: Topic already exists with different attributes',
        );
      }
      const storedTags = JSON.parse(existing.tags) as Record<string, string>;
      if (Object.entries(tags).some(([k, v]) => storedTags[k] !== v)) {
        throw new InvalidTopicParameter('Invalid parameter: Tags Reason: Topic already exists with different tags');
      }
      return toTopic(existing, this.topicArn(name));
    }
    const now = Date.now();
    this.#sql('INSERT INTO sns_topics (name, attributes, tags, created_at) VALUES (?, ?, ?, ?)').run(
      name,
      JSON.stringify(attributes),
      JSON.stringify(tags),
      now,
    );
    return this.topic(this.topicArn(name));
  }

  /** Deletes a topic and its subscriptions; deleting one that does not exist succeeds, as on SNS. */
  deleteTopic(topicArn: string): void {
    const name = this.nameOf(topicArn);
    this.#db.transaction(() => {
      this.#sql('DELETE FROM sns_subscriptions WHERE topic = ?').run(name);
      this.#sql('DELETE FROM sns_dedup WHERE topic = ?').run(name);
      this.#sql('DELETE FROM sns_sequence WHERE topic = ?').run(name);
      this.#sql('DELETE FROM sns_topics WHERE name = ?').run(name);
    })();
    this.#fanOut.delete(name);
  }

  /** Every topic, by name. */
  listTopics(): TopicInfo[] {
    const rows = this.#sql('SELECT * FROM sns_topics ORDER BY name').all() as TopicRow[];
    return rows.map((row) => toTopic(row, this.topicArn(row.name)));
  }

  /** A topic. @throws NotFound, InvalidParameter */
  topic(topicArn: string): TopicInfo {
    const name = this.nameOf(topicArn);
    const row = this.#row(name);
    if (!row) throw new TopicNotFound('Topic does not exist');
    return toTopic(row, this.topicArn(name));
  }

  /**
   * Every attribute of a topic as GetTopicAttributes answers: the ones set plus Owner, Policy,
   * subscription counts and the effective delivery policy. @throws NotFound, InvalidParameter
   */
  topicAttributes(topicArn: string): Record<string, string> {
    const topic = this.topic(topicArn);
    const counts = this.subscriptionCounts(topic.name);
    const out: Record<string, string> = {
      TopicArn: topic.arn,
      Owner: ACCOUNT_ID,
      Policy: JSON.stringify(defaultPolicy(topic.arn)),
      DisplayName: '',
      SubscriptionsConfirmed: String(counts.confirmed),
      SubscriptionsPending: String(counts.pending),
      SubscriptionsDeleted: '0',
      EffectiveDeliveryPolicy: JSON.stringify(DEFAULT_DELIVERY_POLICY),
    };
    if (topic.fifo) Object.assign(out, { FifoTopic: 'true', ContentBasedDeduplication: 'false' });
    return { ...out, ...topic.attributes };
  }

  /** Sets one topic attribute (an empty value removes it). @throws NotFound, InvalidParameter */
  setTopicAttribute(topicArn: string, name: string, value: string): void {
    const topic = this.topic(topicArn);
    if (name === 'FifoTopic')
      throw new InvalidTopicParameter('Invalid parameter: AttributeName: FifoTopic cannot be changed');
    checkTopicAttributes({ [name]: value });
    if (name === 'ContentBasedDeduplication' && !topic.fifo) {
      throw new InvalidTopicParameter('Invalid parameter: ContentBasedDeduplication: applies to FIFO topics only');
    }
    const attributes = { ...topic.attributes, [name]: value };
    if (value === '') delete attributes[name];
    this.#sql('UPDATE sns_topics SET attributes = ? WHERE name = ?').run(JSON.stringify(attributes), topic.name);
  }

  /** A topic's tags. @throws NotFound */
  tags(topicArn: string): Record<string, string> {
    const row = this.#row(this.topic(topicArn).name) as TopicRow;
    return JSON.parse(row.tags) as Record<string, string>;
  }

  /** Adds or replaces tags. @throws NotFound, InvalidParameter (over 50 tags) */
  tag(topicArn: string, tags: Record<string, string>): void {
    const merged = { ...this.tags(topicArn), ...tags };
    if (Object.keys(merged).length > MAX_TAGS)
      throw new InvalidTopicParameter('Could not complete request: tag quota of per resource exceeded');
    this.#sql('UPDATE sns_topics SET tags = ? WHERE name = ?').run(JSON.stringify(merged), this.nameOf(topicArn));
  }

  /** Removes tags by key. @throws NotFound */
  untag(topicArn: string, keys: string[]): void {
    const tags = this.tags(topicArn);
    for (const key of keys) delete tags[key];
    this.#sql('UPDATE sns_topics SET tags = ? WHERE name = ?').run(JSON.stringify(tags), this.nameOf(topicArn));
  }

  /**
   * Subscribes an endpoint; subscribing the same endpoint again returns the existing subscription.
   * Lambda and SQS subscriptions are confirmed at once; HTTP/HTTPS ones wait for their token.
   * @throws NotFound, InvalidParameter (protocol, endpoint, attributes)
   */
  subscribe(
    topicArn: string,
    protocol: string,
    endpoint: string,
    attributes: Record<string, string> = {},
  ): SubscriptionInfo {
    const topic = this.topic(topicArn);
    if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
      throw new InvalidTopicParameter(
        `Invalid parameter: Amazon SNS does not support this protocol string: ${protocol}`,
      );
    }
    checkEndpoint(protocol as Protocol, endpoint, topic.fifo);
    checkSubscriptionAttributes(attributes);
    const existing = this.#sql('SELECT * FROM sns_subscriptions WHERE topic = ? AND protocol = ? AND endpoint = ?').get(
      topic.name,
      protocol,
      endpoint,
    ) as SubscriptionRow | undefined;
    if (existing) return toSubscription(existing, this.topicArn(topic.name));
    const arn = `${topic.arn}:${randomUUID()}`;
    const confirmed = protocol === 'lambda' || protocol === 'sqs';
    const token = confirmed ? null : randomBytes(64).toString('hex');
    this.#sql(
      'INSERT INTO sns_subscriptions (arn, topic, protocol, endpoint, attributes, confirmed, token, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(arn, topic.name, protocol, endpoint, JSON.stringify(attributes), confirmed ? 1 : 0, token, Date.now());
    this.#fanOut.delete(topic.name);
    return this.subscription(arn);
  }

  /** Confirms the subscription a token was sent for. @throws NotFound, InvalidParameter (unknown token) */
  confirm(topicArn: string, token: string): SubscriptionInfo {
    const topic = this.topic(topicArn);
    const row = this.#sql('SELECT * FROM sns_subscriptions WHERE topic = ? AND token = ?').get(
      topic.name,
      String(token),
    ) as SubscriptionRow | undefined;
    if (!row) throw new InvalidTopicParameter('Invalid token');
    this.#sql('UPDATE sns_subscriptions SET confirmed = 1 WHERE arn = ?').run(row.arn);
    this.#fanOut.delete(topic.name);
    return this.subscription(row.arn);
  }

  /** Removes a subscription. @throws NotFound, InvalidParameter */
  unsubscribe(subscriptionArn: string): void {
    const sub = this.subscription(subscriptionArn);
    this.#sql('DELETE FROM sns_subscriptions WHERE arn = ?').run(sub.arn);
    this.#fanOut.delete(this.nameOf(sub.topicArn));
  }

  /** A subscription. @throws NotFound, InvalidParameter (not a subscription ARN) */
  subscription(subscriptionArn: string): SubscriptionInfo {
    if (!SUBSCRIPTION_ARN.test(String(subscriptionArn)))
      throw new InvalidTopicParameter('Invalid parameter: SubscriptionArn');
    const row = this.#sql('SELECT * FROM sns_subscriptions WHERE arn = ?').get(subscriptionArn) as
      | SubscriptionRow
      | undefined;
    if (!row) throw new TopicNotFound('Subscription does not exist');
    return toSubscription(row, this.topicArn(row.topic));
  }

  /** Every attribute of a subscription as GetSubscriptionAttributes answers. @throws NotFound, InvalidParameter */
  subscriptionAttributes(subscriptionArn: string): Record<string, string> {
    const sub = this.subscription(subscriptionArn);
    const out: Record<string, string> = {
      SubscriptionArn: sub.arn,
      TopicArn: sub.topicArn,
      Owner: ACCOUNT_ID,
      Protocol: sub.protocol,
      Endpoint: sub.endpoint,
      ConfirmationWasAuthenticated: String(sub.confirmed),
      PendingConfirmation: String(!sub.confirmed),
      RawMessageDelivery: 'false',
      SubscriptionPrincipal: `arn:aws:iam::${ACCOUNT_ID}:user/lambdata`,
    };
    if (sub.protocol === 'http' || sub.protocol === 'https') {
      out.EffectiveDeliveryPolicy = JSON.stringify(DEFAULT_DELIVERY_POLICY);
    }
    const attributes = { ...out, ...sub.attributes };
    if (attributes.FilterPolicy && !attributes.FilterPolicyScope) attributes.FilterPolicyScope = 'MessageAttributes';
    return attributes;
  }

  /** Sets one subscription attribute (an empty value removes it). @throws NotFound, InvalidParameter */
  setSubscriptionAttribute(subscriptionArn: string, name: string, value: string): void {
    const sub = this.subscription(subscriptionArn);
    checkSubscriptionAttributes({ [name]: value }, sub.attributes);
    const attributes = { ...sub.attributes, [name]: value };
    if (value === '') delete attributes[name];
    this.#sql('UPDATE sns_subscriptions SET attributes = ? WHERE arn = ?').run(JSON.stringify(attributes), sub.arn);
    this.#fanOut.delete(this.nameOf(sub.topicArn));
  }

  /** Subscriptions of every topic, or of one (NotFound when it does not exist), oldest first. */
  listSubscriptions(topicArn?: string): SubscriptionInfo[] {
    const rows = (
      topicArn === undefined
        ? this.#sql('SELECT * FROM sns_subscriptions ORDER BY created_at, arn').all()
        : this.#sql('SELECT * FROM sns_subscriptions WHERE topic = ? ORDER BY created_at, arn').all(
            this.topic(topicArn).name,
          )
    ) as SubscriptionRow[];
    return rows.map((row) => toSubscription(row, this.topicArn(row.topic)));
  }

  /** The confirmed subscriptions a message to the topic goes to. */
  fanOutOf(topicName: string): SubscriptionInfo[] {
    let subs = this.#fanOut.get(topicName);
    if (!subs) {
      const rows = this.#db
        .prepare('SELECT * FROM sns_subscriptions WHERE topic = ? AND confirmed = 1 ORDER BY created_at, arn')
        .all(topicName) as SubscriptionRow[];
      subs = rows.map((row) => toSubscription(row, this.topicArn(topicName)));
      this.#fanOut.set(topicName, subs);
    }
    return subs;
  }

  /** Counts of a topic's subscriptions by state. */
  subscriptionCounts(topicName: string): { confirmed: number; pending: number } {
    const row = this.#sql(
      'SELECT SUM(confirmed = 1) AS confirmed, SUM(confirmed = 0) AS pending FROM sns_subscriptions WHERE topic = ?',
    ).get(topicName) as { confirmed: number | null; pending: number | null };
    return { confirmed: row.confirmed ?? 0, pending: row.pending ?? 0 };
  }

  /**
   * For a FIFO publish: the message id and sequence number of an earlier publish with the same
   * deduplication id in the last five minutes, or a new sequence number recorded with `messageId`.
   * Run it inside the publish's transaction.
   */
  sequence(
    topicName: string,
    dedupId: string,
    messageId: string,
    now: number,
  ): { messageId: string; sequenceNumber: string; duplicate: boolean } {
    const seen = this.#sql(
      'SELECT message_id, seq FROM sns_dedup WHERE topic = ? AND dedup_id = ? AND expires_at >= ?',
    ).get(topicName, dedupId, now) as { message_id: string; seq: string } | undefined;
    if (seen) return { messageId: seen.message_id, sequenceNumber: seen.seq, duplicate: true };
    const row = this.#sql(
      'INSERT INTO sns_sequence (topic, last) VALUES (?, 1) ON CONFLICT (topic) DO UPDATE SET last = last + 1 RETURNING last',
    ).get(topicName) as { last: number };
    const sequenceNumber = String(row.last).padStart(20, '0');
    this.#sql(
      'INSERT OR REPLACE INTO sns_dedup (topic, dedup_id, message_id, seq, expires_at) VALUES (?, ?, ?, ?, ?)',
    ).run(topicName, dedupId, messageId, sequenceNumber, now + DEDUP_WINDOW_MS);
    this.#sql('DELETE FROM sns_dedup WHERE topic = ? AND expires_at < ?').run(topicName, now);
    return { messageId, sequenceNumber, duplicate: false };
  }

  #sql(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #row(name: string): TopicRow | undefined {
    return this.#sql('SELECT * FROM sns_topics WHERE name = ?').get(name) as TopicRow | undefined;
  }
}

function defaultPolicy(arn: string): Record<string, unknown> {
  return {
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: ['SNS:Publish', 'SNS:Subscribe', 'SNS:GetTopicAttributes', 'SNS:SetTopicAttributes'],
        Resource: arn,
        Condition: { StringEquals: { 'AWS:SourceOwner': ACCOUNT_ID } },
      },
    ],
  };
}

function checkEndpoint(protocol: Protocol, endpoint: string, fifoTopic: boolean): void {
  const valid =
    protocol === 'lambda'
      ? FUNCTION_ARN.test(endpoint)
      : protocol === 'sqs'
        ? QUEUE_ARN.test(endpoint)
        : URL.canParse(endpoint) && new URL(endpoint).protocol === `${protocol}:`;
  if (!valid) throw new InvalidTopicParameter('Invalid parameter: Endpoint');
  if (fifoTopic && protocol !== 'sqs') {
    throw new InvalidTopicParameter(`Invalid parameter: Invalid protocol type: ${protocol}`);
  }
  if (!fifoTopic && protocol === 'sqs' && endpoint.endsWith('.fifo')) {
    throw new InvalidTopicParameter(
      'Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics',
    );
  }
}

function toTopic(row: TopicRow, arn: string): TopicInfo {
  const attributes = JSON.parse(row.attributes) as Record<string, string>;
  return { name: row.name, arn, fifo: attributes.FifoTopic === 'true', attributes, createdAt: row.created_at };
}

function toSubscription(row: SubscriptionRow, topicArn: string): SubscriptionInfo {
  const sub: SubscriptionInfo = {
    arn: row.arn,
    topicArn,
    protocol: row.protocol as Protocol,
    endpoint: row.endpoint,
    attributes: JSON.parse(row.attributes) as Record<string, string>,
    confirmed: row.confirmed === 1,
  };
  if (row.token !== null) sub.token = row.token;
  return sub;
}
