import { randomBytes } from 'node:crypto';
import type { Deliveries } from '../invoke/index.js';
import { bucketArn, isFunctionRef } from '../shared/arn.js';
import type { EngineContext } from '../shared/context.js';
import { hasCode } from '../shared/errors.js';
import { ACCOUNT_ID } from '../shared/ids.js';
import type { Logger } from '../shared/log.js';
import { type Db, migrate, tableExists } from '../state/db.js';
import { InvalidArgument, type ObjectEvent, type ObjectStore } from '../storage/objects/index.js';

/** Which keys a configuration applies to (S3's `S3Key` filter rules). */
export interface NotificationFilter {
  prefix?: string;
  suffix?: string;
}

/** One Lambda destination of a bucket's notifications. */
export interface LambdaFunctionConfiguration {
  /** Generated when absent; appears as `configurationId` in records. */
  id?: string;
  /** Function name or ARN (optionally qualified). */
  functionArn: string;
  /** S3 event types, e.g. `s3:ObjectCreated:*`, `s3:ObjectRemoved:Delete`. */
  events: string[];
  filter?: NotificationFilter;
}

/** One topic destination of a bucket's notifications (S3 TopicConfiguration). */
export interface TopicConfiguration {
  /** Generated when absent; appears as `configurationId` in records. */
  id?: string;
  topicArn: string;
  events: string[];
  filter?: NotificationFilter;
}

/** A bucket's notification configuration. */
export interface NotificationConfiguration {
  lambdaFunctionConfigurations: LambdaFunctionConfiguration[];
  topicConfigurations?: TopicConfiguration[];
}

/** Where topic notifications are published (the topic publisher). */
export interface NotificationTopics {
  /** Publishes inside the caller's transaction. */
  publishNow(input: { topicArn: string; message: string; subject?: string }): unknown;
  hasTopic(topicArn: string): boolean;
}

/** The S3 event types a configuration may name. */
export const NOTIFICATION_EVENT_TYPES = [
  's3:ObjectCreated:*',
  's3:ObjectCreated:Put',
  's3:ObjectCreated:Post',
  's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload',
  's3:ObjectRemoved:*',
  's3:ObjectRemoved:Delete',
  's3:ObjectRemoved:DeleteMarkerCreated',
  's3:ObjectTagging:*',
  's3:ObjectTagging:Put',
  's3:ObjectTagging:Delete',
] as const;

/** The trigger of notification invocations (their records and deliveries say 's3'). */
const TRIGGER = 's3';

/** What notifications need: the store they watch, the delivery pipeline, and (to validate destinations) the functions. */
export interface ObjectNotificationsOptions {
  objects: ObjectStore;
  deliveries: Pick<Deliveries, 'invoke' | 'depth'>;
  /** When given, configurations naming a function that does not exist are refused, as AWS does. */
  functions?: { get(nameOrArn: string): unknown };
  /** Topics notifications may be published to (TopicConfigurations). */
  topics?: NotificationTopics;
}

/**
 * S3 event notifications delivered as async invocations. Each matching event is queued in the
 * durable delivery pipeline inside the object's own metadata transaction, so what S3 acknowledged is
 * delivered at least once, in commit order, with the function's async retries and destinations.
 */
export class ObjectNotifications {
  #db: Db;
  #log: Logger;
  #region: string;
  #objects: ObjectStore;
  #deliveries: ObjectNotificationsOptions['deliveries'];
  #functions: ObjectNotificationsOptions['functions'];
  #topics: NotificationTopics | undefined;
  #configs = new Map<string, NotificationConfiguration | undefined>();
  #sql;

  constructor(context: EngineContext, options: ObjectNotificationsOptions) {
    this.#db = context.db;
    this.#log = context.log.child({ component: 'object-notifications' });
    this.#region = context.region;
    this.#objects = options.objects;
    this.#deliveries = options.deliveries;
    this.#functions = options.functions;
    this.#topics = options.topics;
    migrate(
      this.#db,
      'CREATE TABLE IF NOT EXISTS s3_notification_configs (bucket TEXT PRIMARY KEY, config TEXT NOT NULL);',
    );
    const db = this.#db;
    this.#sql = {
      config: db.prepare<[string], { config: string }>('SELECT config FROM s3_notification_configs WHERE bucket = ?'),
      putConfig: db.prepare('INSERT OR REPLACE INTO s3_notification_configs (bucket, config) VALUES (?, ?)'),
      deleteConfig: db.prepare('DELETE FROM s3_notification_configs WHERE bucket = ?'),
    };
    this.#moveLegacyOutbox();
    this.#objects.onCommit((event) => this.#record(event));
  }

  /**
   * Replaces a bucket's notification configuration (an empty list removes it). Throws NoSuchBucket, or
   * InvalidArgument for unknown event types, malformed or missing functions, or repeated ids.
   */
  putConfiguration(bucket: string, configuration: NotificationConfiguration): NotificationConfiguration {
    this.#objects.headBucket(bucket);
    const normalized = normalize(configuration);
    for (const destination of normalized.lambdaFunctionConfigurations) this.#assertDestination(destination.functionArn);
    for (const destination of normalized.topicConfigurations ?? []) this.#assertTopic(destination.topicArn);
    const empty = normalized.lambdaFunctionConfigurations.length + (normalized.topicConfigurations?.length ?? 0) === 0;
    if (empty) this.#sql.deleteConfig.run(bucket);
    else this.#sql.putConfig.run(bucket, JSON.stringify(normalized));
    this.#configs.set(bucket, empty ? undefined : normalized);
    return normalized;
  }

  /** A bucket's configuration (empty when none). Throws NoSuchBucket. */
  getConfiguration(bucket: string): NotificationConfiguration {
    this.#objects.headBucket(bucket);
    return this.#config(bucket) ?? { lambdaFunctionConfigurations: [] };
  }

  /** How many notifications wait in the delivery queue (not counting running ones). */
  pendingDeliveries(): number {
    return this.#deliveries.depth({ trigger: TRIGGER });
  }

  #assertDestination(functionArn: string): void {
    if (!this.#functions) return;
    try {
      this.#functions.get(functionArn);
    } catch (err) {
      if (hasCode(err, 'ResourceNotFoundException')) {
        throw new InvalidArgument(`Unable to validate the following destination configurations: ${functionArn}`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  #assertTopic(topicArn: string): void {
    if (!this.#topics) throw new InvalidArgument('Topic notification targets are not available');
    if (!this.#topics.hasTopic(topicArn)) {
      throw new InvalidArgument(`Unable to validate the following destination configurations: ${topicArn}`);
    }
  }

  #config(bucket: string): NotificationConfiguration | undefined {
    if (!this.#configs.has(bucket)) {
      const row = this.#sql.config.get(bucket);
      this.#configs.set(bucket, row ? (JSON.parse(row.config) as NotificationConfiguration) : undefined);
    }
    return this.#configs.get(bucket);
  }

  /** Runs inside the object's metadata transaction: one delivery per matching destination. */
  #record(event: ObjectEvent): void {
    const config = this.#config(event.bucket);
    if (!config) return;
    for (const destination of config.lambdaFunctionConfigurations) {
      if (!matches(destination, event)) continue;
      const payload = { Records: [s3Record(event, destination.id ?? '', this.#region)] };
      this.#queue(destination.functionArn, JSON.stringify(payload));
    }
    for (const destination of config.topicConfigurations ?? []) {
      if (!matches(destination, event)) continue;
      const message = JSON.stringify({ Records: [s3Record(event, destination.id ?? '', this.#region)] });
      this.#publish(destination.topicArn, message);
    }
  }

  #publish(topicArn: string, message: string): void {
    try {
      this.#topics?.publishNow({ topicArn, message, subject: 'Amazon S3 Notification' });
    } catch (err) {
      // The topic was deleted: S3 drops such events too.
      if (!hasCode(err, 'NotFound')) throw err;
      this.#log.warn('notification dropped: topic not found', { topicArn, err });
    }
  }

  #queue(functionArn: string, payload: string): void {
    try {
      this.#deliveries.invoke({ functionName: functionArn, payload, trigger: TRIGGER });
    } catch (err) {
      // The destination was deleted: S3 drops such events too.
      if (!hasCode(err, 'ResourceNotFoundException')) throw err;
      this.#log.warn('notification dropped: function not found', { functionName: functionArn, err });
    }
  }

  /** Earlier versions kept notifications in an outbox of their own: they move to the delivery queue, once. */
  #moveLegacyOutbox(): void {
    if (!tableExists(this.#db, 's3_notification_outbox')) return;
    this.#db.transaction(() => {
      const rows = this.#db
        .prepare('SELECT function_name, payload FROM s3_notification_outbox ORDER BY id')
        .all() as Array<{ function_name: string; payload: string }>;
      for (const row of rows) this.#queue(row.function_name, row.payload);
      this.#db.exec('DROP TABLE s3_notification_outbox');
      if (rows.length > 0) this.#log.info('moved queued notifications to the delivery queue', { count: rows.length });
    })();
  }
}

/** The exact S3 notification record of one event: version 2.1, or 2.3 for tagging events as S3 sends them. */
export function s3Record(event: ObjectEvent, configurationId: string, region: string): Record<string, unknown> {
  const object: Record<string, unknown> = { key: encodeEventKey(event.key) };
  if (event.size !== undefined) object.size = event.size;
  if (event.etag !== undefined) object.eTag = event.etag;
  if (event.versionId !== undefined) object.versionId = event.versionId;
  object.sequencer = event.sequencer;
  return {
    eventVersion: event.eventName.startsWith('ObjectTagging:') ? '2.3' : '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: event.time.toISOString(),
    eventName: event.eventName,
    userIdentity: { principalId: `AWS:${ACCOUNT_ID}` },
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: {
      'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-amz-id-2': randomBytes(48).toString('base64'),
    },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId,
      bucket: { name: event.bucket, ownerIdentity: { principalId: ACCOUNT_ID }, arn: bucketArn(event.bucket) },
      object,
    },
  };
}

/** Keys in records are form-URL-encoded as S3 does: spaces become '+', slashes stay. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/gi, '/');
}

function matches(destination: { events: string[]; filter?: NotificationFilter }, event: ObjectEvent): boolean {
  const name = `s3:${event.eventName}`;
  const family = `${name.slice(0, name.lastIndexOf(':'))}:*`;
  if (!destination.events.some((type) => type === name || type === family)) return false;
  const { prefix, suffix } = destination.filter ?? {};
  if (prefix && !event.key.startsWith(prefix)) return false;
  if (suffix && !event.key.endsWith(suffix)) return false;
  return true;
}

function normalize(configuration: NotificationConfiguration): NotificationConfiguration {
  const list = configuration?.lambdaFunctionConfigurations ?? [];
  const topicList = configuration?.topicConfigurations ?? [];
  if (!Array.isArray(list)) throw new InvalidArgument('lambdaFunctionConfigurations must be a list');
  if (!Array.isArray(topicList)) throw new InvalidArgument('topicConfigurations must be a list');
  const ids = new Set<string>();
  const out = list.map((entry, i) => {
    const where = `lambdaFunctionConfigurations[${i}]`;
    if (typeof entry?.functionArn !== 'string' || !isFunctionRef(entry.functionArn)) {
      throw new InvalidArgument(`${where}.functionArn is not a function name or ARN`);
    }
    const { id, events, filter } = normalizeRule(entry, where, ids);
    const normalized: LambdaFunctionConfiguration = { id, functionArn: entry.functionArn, events };
    if (filter) normalized.filter = filter;
    return normalized;
  });
  const topics = topicList.map((entry, i) => {
    const where = `topicConfigurations[${i}]`;
    if (typeof entry?.topicArn !== 'string' || !entry.topicArn.startsWith('arn:aws:sns:')) {
      throw new InvalidArgument(`${where}.topicArn is not a topic ARN`);
    }
    const { id, events, filter } = normalizeRule(entry, where, ids);
    const normalized: TopicConfiguration = { id, topicArn: entry.topicArn, events };
    if (filter) normalized.filter = filter;
    return normalized;
  });
  return topics.length
    ? { lambdaFunctionConfigurations: out, topicConfigurations: topics }
    : { lambdaFunctionConfigurations: out };
}

/** Checks the event types, id and filter a destination of either kind has. */
function normalizeRule(
  entry: { id?: string; events: string[]; filter?: NotificationFilter },
  where: string,
  ids: Set<string>,
): { id: string; events: string[]; filter?: NotificationFilter } {
  if (!Array.isArray(entry.events) || entry.events.length === 0)
    throw new InvalidArgument(`${where}.events must not be empty`);
  for (const type of entry.events) {
    if (!(NOTIFICATION_EVENT_TYPES as readonly string[]).includes(type)) {
      throw new InvalidArgument(`${where}: the event is not supported for notifications: ${String(type)}`);
    }
  }
  const id = entry.id || randomBytes(12).toString('hex');
  if (ids.has(id)) throw new InvalidArgument(`${where}.id is used twice: ${id}`);
  ids.add(id);
  const filter: NotificationFilter = {};
  if (entry.filter?.prefix) filter.prefix = String(entry.filter.prefix);
  if (entry.filter?.suffix) filter.suffix = String(entry.filter.suffix);
  const hasFilter = filter.prefix !== undefined || filter.suffix !== undefined;
  return hasFilter ? { id, events: [...entry.events], filter } : { id, events: [...entry.events] };
}
