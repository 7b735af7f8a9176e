/**
 * The resolved plan of a stack: what a template (SAM or serverless.yml) asks for, with every
 * intrinsic function and variable already resolved to concrete names. The CLI builds it from the
 * template and the packages of its code; the server applies it (`Stacks.apply`).
 */

/** Which kind of template a plan came from. */
export type TemplateKind = 'sam' | 'serverless';

/** A function of the stack. `codePath` is the local directory or .zip the CLI packages; `packageId` names it in `StackPlan.packages`. */
export interface PlannedFunction {
  /** The template's name for it (logical id, or the serverless.yml key). */
  logicalId: string;
  name: string;
  handler: string;
  runtime: string;
  memoryMb?: number;
  timeoutS?: number;
  ephemeralStorageMb?: number;
  description?: string;
  environment: Record<string, string>;
  /** Reserved concurrency; null when the template sets none. */
  reservedConcurrency: number | null;
  /** DeadLetterConfig.TargetArn (SAM's DeadLetterQueue.TargetArn): a queue or topic ARN. */
  deadLetterTargetArn?: string;
  /** Absolute path of the code (a directory or a .zip), on the machine that reads the template. */
  codePath?: string;
  /** Key of its zip in `StackPlan.packages` (set by the CLI before sending). */
  packageId?: string;
  /** A function URL (from FunctionUrlConfig, `url:`, or an Api/HttpApi event). */
  url?: { authType: 'NONE' | 'AWS_IAM'; cors?: Record<string, unknown> };
}

/** A table, in the storage's own shape. */
export interface PlannedTable {
  logicalId: string;
  name: string;
  keySchema: Array<{ attributeName: string; keyType: 'HASH' | 'RANGE' }>;
  attributeDefinitions: Array<{ attributeName: string; attributeType: 'S' | 'N' | 'B' }>;
  streamViewType?: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';
  timeToLiveAttribute?: string;
}

/** An S3 notification from a bucket to a function. */
export interface PlannedNotification {
  bucket: string;
  function: string;
  events: string[];
  prefix?: string;
  suffix?: string;
}

/** An event source mapping: a stream, table stream or queue polled for a function. */
export interface PlannedMapping {
  function: string;
  source: { type: 'stream' | 'table' | 'queue'; name: string };
  batchSize?: number;
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  maximumBatchingWindowInSeconds?: number;
  enabled?: boolean;
}

/** A rate() or cron() schedule invoking a function. */
export interface PlannedSchedule {
  name: string;
  function: string;
  expression: string;
  /** JSON text sent instead of the scheduled event. */
  input?: string;
}

/** Everything a stack holds, resolved. */
export interface StackPlan {
  stack: string;
  kind: TemplateKind;
  functions: PlannedFunction[];
  buckets: Array<{ logicalId: string; name: string }>;
  queues: Array<{ logicalId: string; name: string; attributes: Record<string, string> }>;
  streams: Array<{ logicalId: string; name: string; shardCount: number }>;
  tables: PlannedTable[];
  topics: Array<{ logicalId: string; name: string }>;
  notifications: PlannedNotification[];
  mappings: PlannedMapping[];
  schedules: PlannedSchedule[];
  /** SNS subscriptions of functions to topics (by topic name). */
  subscriptions: Array<{ topic: string; function: string }>;
  /** Zips of the functions' code, base64, by package id (a digest of the zip). */
  packages: Record<string, string>;
  /** What the template holds that runs nowhere here (unsupported resource types, layers …). */
  warnings: string[];
  /** The template's Outputs, resolved (printed by the CLI). */
  outputs?: Record<string, string>;
}

/** What applying a plan did to one thing. */
export interface StackChange {
  action: 'created' | 'updated' | 'unchanged' | 'deleted' | 'kept';
  type:
    | 'function'
    | 'bucket'
    | 'queue'
    | 'stream'
    | 'table'
    | 'topic'
    | 'notification'
    | 'mapping'
    | 'schedule'
    | 'subscription'
    | 'url';
  name: string;
}

/** The answer of a deploy: what changed, the URLs of functions that have one, and the plan's warnings. */
export interface StackResult {
  stack: string;
  changes: StackChange[];
  urls: Record<string, string>;
  warnings: string[];
}

/** A stack as the server records it: what it created, so a redeploy knows what to change or delete. */
export interface StackRecord {
  name: string;
  kind: TemplateKind;
  /** Epoch ms. */
  updatedAt: number;
  functions: string[];
  buckets: string[];
  queues: string[];
  streams: string[];
  tables: string[];
  topics: string[];
  /** Notification configuration ids, by bucket. */
  notifications: Record<string, string[]>;
  mappings: Array<{ uuid: string; function: string; sourceArn: string }>;
  schedules: string[];
  subscriptions: string[];
  urls: string[];
}

/** An empty plan for `stack`, filled by a template reader. */
export function emptyPlan(stack: string, kind: TemplateKind): StackPlan {
  return {
    stack,
    kind,
    functions: [],
    buckets: [],
    queues: [],
    streams: [],
    tables: [],
    topics: [],
    notifications: [],
    mappings: [],
    schedules: [],
    subscriptions: [],
    packages: {},
    warnings: [],
  };
}
