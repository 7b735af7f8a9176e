import { randomBytes } from 'node:crypto';
import type { Invoker } from '../invoke/index.js';
import { bucketArn, isFunctionRef } from '../shared/arn.js';
import type { BackgroundService, EngineContext } from '../shared/context.js';
import { hasCode } from '../shared/errors.js';
import { ACCOUNT_ID } from '../shared/ids.js';
import type { Logger } from '../shared/log.js';
import { type Db, migrate } from '../state/db.js';
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

/** A bucket's notification configuration. */
export interface NotificationConfiguration {
  lambdaFunctionConfigurations: LambdaFunctionConfiguration[];
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
] as const;

const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 30_000;
const DRAIN_BATCH = 100;

/** What notifications need: the store they watch, the invoker, and (to validate destinations) the functions. */
export interface ObjectNotificationsOptions {
  objects: ObjectStore;
  invoker: Invoker;
  /** When given, configurations naming a function that does not exist are refused, as AWS does. */
  functions?: { get(nameOrArn: string): unknown };
}

interface OutboxRow {
  id: number;
  function_name: string;
  payload: string;
  attempts: number;
}

/**
 * S3 event notifications delivered as async invocations. Each matching event is written to a durable
 * outbox inside the object's own metadata transaction, then handed to the invoker (which queues async
 * events durably); the outbox row goes once the invoke is accepted (202). start() drains what a crash left.
 */
export class ObjectNotifications implements BackgroundService {
  #db: Db;
  #log: Logger;
  #region: string;
  #objects: ObjectStore;
  #invoker: Invoker;
  #functions: ObjectNotificationsOptions['functions'];
  #configs = new Map<string, NotificationConfiguration | undefined>();
  #running = false;
  #draining?: Promise<void>;
  #drainAgain = false;
  #timer?: NodeJS.Timeout;
  #unsubscribe: Array<() => void> = [];
  #sql;

  constructor(context: EngineContext, options: ObjectNotificationsOptions) {
    this.#db = context.db;
    this.#log = context.log.child({ component: 'object-notifications' });
    this.#region = context.region;
    this.#objects = options.objects;
    this.#invoker = options.invoker;
    this.#functions = options.functions;
    migrate(
      this.#db,
      `CREATE TABLE IF NOT EXISTS s3_notification_configs (bucket TEXT PRIMARY KEY, config TEXT NOT NULL);
       CREATE TABLE IF NOT EXISTS s3_notification_outbox (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         function_name TEXT NOT NULL,
         payload TEXT NOT NULL,
         attempts INTEGER NOT NULL DEFAULT 0,
         not_before INTEGER NOT NULL DEFAULT 0
       );`,
    );
    const db = this.#db;
    this.#sql = {
      config: db.prepare<[string], { config: string }>('SELECT config FROM s3_notification_configs WHERE bucket = ?'),
      putConfig: db.prepare('INSERT OR REPLACE INTO s3_notification_configs (bucket, config) VALUES (?, ?)'),
      deleteConfig: db.prepare('DELETE FROM s3_notification_configs WHERE bucket = ?'),
      enqueue: db.prepare('INSERT INTO s3_notification_outbox (function_name, payload) VALUES (?, ?)'),
      due: db.prepare<[number, number], OutboxRow>(
        'SELECT id, function_name, payload, attempts FROM s3_notification_outbox WHERE not_before <= ? ORDER BY id LIMIT ?',
      ),
      next: db.prepare<[], { at: number | null }>('SELECT MIN(not_before) AS at FROM s3_notification_outbox'),
      count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM s3_notification_outbox'),
      done: db.prepare('DELETE FROM s3_notification_outbox WHERE id = ?'),
      retry: db.prepare('UPDATE s3_notification_outbox SET attempts = ?, not_before = ? WHERE id = ?'),
    };
    // Record deliveries even before start(): the outbox is what makes them survive a restart.
    this.#objects.onCommit((event) => this.#record(event));
  }

  /** Drains deliveries left in the outbox and delivers new ones as objects change. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#unsubscribe.push(this.#objects.events.subscribe(() => this.#kick()));
    this.#kick();
  }

  /** Stops delivering; what is not yet accepted stays in the outbox for the next start. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    await this.#draining;
  }

  /**
   * Replaces a bucket's notification configuration (an empty list removes it). Throws NoSuchBucket, or
   * InvalidArgument for unknown event types, malformed or missing functions, or repeated ids.
   */
  putConfiguration(bucket: string, configuration: NotificationConfiguration): NotificationConfiguration {
    this.#objects.headBucket(bucket);
    const normalized = normalize(configuration);
    for (const destination of normalized.lambdaFunctionConfigurations) this.#assertDestination(destination.functionArn);
    if (normalized.lambdaFunctionConfigurations.length === 0) this.#sql.deleteConfig.run(bucket);
    else this.#sql.putConfig.run(bucket, JSON.stringify(normalized));
    this.#configs.set(bucket, normalized.lambdaFunctionConfigurations.length > 0 ? normalized : undefined);
    return normalized;
  }

  /** A bucket's configuration (empty when none). Throws NoSuchBucket. */
  getConfiguration(bucket: string): NotificationConfiguration {
    this.#objects.headBucket(bucket);
    return this.#config(bucket) ?? { lambdaFunctionConfigurations: [] };
  }

  /** How many deliveries wait in the outbox (not yet accepted by the invoker). */
  pendingDeliveries(): number {
    return this.#sql.count.get()?.n ?? 0;
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

  #config(bucket: string): NotificationConfiguration | undefined {
    if (!this.#configs.has(bucket)) {
      const row = this.#sql.config.get(bucket);
      this.#configs.set(bucket, row ? (JSON.parse(row.config) as NotificationConfiguration) : undefined);
    }
    return this.#configs.get(bucket);
  }

  /** Runs inside the object's metadata transaction: one outbox row per matching destination. */
  #record(event: ObjectEvent): void {
    const config = this.#config(event.bucket);
    if (!config) return;
    for (const destination of config.lambdaFunctionConfigurations) {
      if (!matches(destination, event)) continue;
      const payload = { Records: [s3Record(event, destination.id ?? '', this.#region)] };
      this.#sql.enqueue.run(destination.functionArn, JSON.stringify(payload));
    }
  }

  #kick(): void {
    if (!this.#running) return;
    if (this.#draining) {
      this.#drainAgain = true;
      return;
    }
    this.#draining = this.#drain()
      .catch((err) => this.#log.error('notification drain failed', { err }))
      .finally(() => {
        this.#draining = undefined;
        if (this.#drainAgain) {
          this.#drainAgain = false;
          this.#kick();
        } else this.#scheduleRetry();
      });
  }

  async #drain(): Promise<void> {
    while (this.#running) {
      const rows = this.#sql.due.all(Date.now(), DRAIN_BATCH);
      if (rows.length === 0) return;
      for (const row of rows) {
        if (!this.#running) return;
        await this.#deliver(row);
      }
    }
  }

  async #deliver(row: OutboxRow): Promise<void> {
    try {
      const result = await this.#invoker.invoke({
        functionName: row.function_name,
        payload: row.payload,
        invocationType: 'Event',
        trigger: 's3',
      });
      if (result.statusCode !== 202) throw new Error(`invoke answered ${result.statusCode}, not 202`);
      this.#sql.done.run(row.id);
    } catch (err) {
      if (hasCode(err, 'ResourceNotFoundException')) {
        // The destination was deleted: S3 drops such events too.
        this.#log.warn('notification dropped: function not found', { functionName: row.function_name, err });
        this.#sql.done.run(row.id);
        return;
      }
      const attempts = row.attempts + 1;
      const delay = Math.min(RETRY_BASE_MS * 2 ** (attempts - 1), RETRY_MAX_MS);
      this.#log.warn('notification delivery failed; will retry', { functionName: row.function_name, attempts, err });
      this.#sql.retry.run(attempts, Date.now() + delay, row.id);
    }
  }

  #scheduleRetry(): void {
    if (!this.#running) return;
    const at = this.#sql.next.get()?.at;
    if (at === null || at === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#kick(), Math.max(0, at - Date.now()));
    this.#timer.unref();
  }
}

/** The exact S3 notification record (event version 2.1) of one event. */
export function s3Record(event: ObjectEvent, configurationId: string, region: string): Record<string, unknown> {
  const object: Record<string, unknown> = { key: encodeEventKey(event.key) };
  if (event.size !== undefined) object.size = event.size;
  if (event.etag !== undefined) object.eTag = event.etag;
  object.sequencer = event.sequencer;
  return {
    eventVersion: '2.1',
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

function matches(destination: LambdaFunctionConfiguration, event: ObjectEvent): boolean {
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
  if (!Array.isArray(list)) throw new InvalidArgument('lambdaFunctionConfigurations must be a list');
  const ids = new Set<string>();
  const out = list.map((entry, i) => {
    const where = `lambdaFunctionConfigurations[${i}]`;
    if (typeof entry?.functionArn !== 'string' || !isFunctionRef(entry.functionArn)) {
      throw new InvalidArgument(`${where}.functionArn is not a function name or ARN`);
    }
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
    const normalized: LambdaFunctionConfiguration = { id, functionArn: entry.functionArn, events: [...entry.events] };
    const filter: NotificationFilter = {};
    if (entry.filter?.prefix) filter.prefix = String(entry.filter.prefix);
    if (entry.filter?.suffix) filter.suffix = String(entry.filter.suffix);
    if (filter.prefix !== undefined || filter.suffix !== undefined) normalized.filter = filter;
    return normalized;
  });
  return { lambdaFunctionConfigurations: out };
}
