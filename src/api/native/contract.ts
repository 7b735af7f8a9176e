/**
 * The native API's contract: the request and answer bodies of every JSON route under /_lambdata, declared
 * once and used by the server's routes, the CLI and the dashboard. Types only — importing this file pulls
 * no server code into the CLI or the browser bundle. Dates the core keeps as `Date` travel as ISO strings.
 */

import type {
  LambdaFunctionConfiguration,
  MappingInput,
  MappingPatch,
  MappingView,
  NotificationConfiguration,
  Schedule,
} from '../../events/index.js';
import type {
  BillingSummary,
  DeadLetter,
  EventInvokeConfig,
  FunctionAlias,
  FunctionSettings,
  InvocationRecord,
  LogLine,
  PriceTable,
} from '../../invoke/index.js';
import type {
  CostReport,
  JobCounters,
  JobEvent,
  JobRecord,
  JobResult,
  JobSpec,
  PipelineStageRecord,
  PipelineStageSpec,
} from '../../jobs/index.js';
import type {
  BatchGeneration,
  DatasetInfo,
  DatasetInput,
  QueryAnswer,
  RecomputeEvent,
  TopEntry,
  ViewInfo,
  ViewSource,
} from '../../lambda-arch/index.js';
import type { RuntimeStats, SandboxInfo } from '../../runtime/index.js';
import type { ObjectInfo } from '../../storage/objects/index.js';
import type { QueueInfo, ReceivedMessage, SendResult } from '../../storage/queues/index.js';
import type { ShardDescription, StreamDescription } from '../../storage/streams/index.js';
import type { StreamViewType, TableDescription } from '../../storage/tables/index.js';
import type { RemoteFunction, TargetConfig } from '../../targets/index.js';
import type { StackPlan, StackRecord, StackResult } from '../../templates/index.js';
import type { EventLoopDelay } from '../event-loop.js';

export type {
  CostReport,
  DeadLetter,
  EventInvokeConfig,
  InvocationRecord,
  JobCounters,
  JobEvent,
  JobRecord,
  JobResult,
  JobSpec,
  LambdaFunctionConfiguration,
  LogLine,
  MappingView,
  NotificationConfiguration,
  PipelineStageRecord,
  PipelineStageSpec,
  QueueInfo,
  RemoteFunction,
  Schedule,
  SendResult,
  TableDescription,
  TargetConfig,
};

/** PUT /targets/:name: an AWS target (credentials come from the server's AWS chain, never from here). */
export interface TargetRequest {
  region: string;
  profile?: string;
  endpoint?: string;
  roleArn?: string;
  codeBucket?: string;
  architecture?: string;
}

/** GET /targets. */
export interface TargetList {
  targets: TargetConfig[];
}

/** PUT /targets/:name/functions/:function: a zipped package and its configuration; answers RemoteFunction. */
export interface TargetDeployRequest {
  zipBase64: string;
  handler: string;
  runtime?: string;
  memoryMb?: number;
  timeoutS?: number;
  environment?: Record<string, string>;
  description?: string;
  roleArn?: string;
}

/** The body of every error answer (4xx and 5xx). */
export interface ErrorAnswer {
  error: { code: string; message: string };
}

/** What a `DELETE` answers when it has nothing else to say: the name (or id) it deleted. */
export interface DeletedAnswer {
  deleted: string | undefined;
}

// ---- system ------------------------------------------------------------------------------------------

/** GET /health. */
export interface HealthAnswer {
  status: 'ok';
  dataDir: string;
  sandbox: SandboxInfo;
  /** The engine's region and account (ARNs a template resolves use them). */
  region: string;
  accountId: string;
  /** How late the server's event loop ran, p50 / p99 / max over the last 10 s window (its responsiveness). */
  eventLoopDelayMs: EventLoopDelay;
}

/** GET /stacks: every stack deployed from a template. */
export interface StackList {
  stacks: StackRecord[];
}

/** PUT /stacks/:name takes a resolved plan (`lambdata deploy --template`) and answers what changed; DELETE answers the same. */
export type StackRequest = StackPlan;
export type StackAnswer = StackResult;

/** GET /runtime: execution environments alive now. */
export type RuntimeAnswer = RuntimeStats;

// ---- functions, invocations, billing, dead letters ---------------------------------------------------

/** A function's configuration in the native API's readable shape. */
export interface NativeFunction {
  name: string;
  arn: string;
  version: string;
  handler: string;
  runtime: string;
  memoryMb: number;
  timeoutS: number;
  ephemeralStorageMb: number;
  environment: Record<string, string>;
  description: string;
  codeSha256: string;
  codeSize: number;
  lastModified: string;
  revisionId: string;
  reservedConcurrency: number | null;
  /** DeadLetterConfig.TargetArn: the queue or topic discarded async events go to; null for none. */
  deadLetterTargetArn: string | null;
}

/** GET /functions. */
export interface FunctionList {
  functions: NativeFunction[];
}

/** GET, PUT and PATCH /functions/:name: the function (or the version asked for) with all its versions. */
export interface FunctionDetail extends NativeFunction {
  versions: NativeFunction[];
  eventInvokeConfig: EventInvokeConfig;
  settings: FunctionSettings;
}

/** The code of a deploy: a zip, or a directory on the server (only inside the operator's allowed ones). */
export type DeployCode = { zipBase64: string } | { dir: string };

/** PUT /functions/:name: creates the function (code and handler required) or updates it. */
export interface DeployRequest {
  code?: DeployCode;
  handler?: string;
  runtime?: string;
  description?: string;
  memoryMb?: number;
  timeoutS?: number;
  ephemeralStorageMb?: number;
  environment?: Record<string, string>;
  /** Publishes a version after the update. */
  publish?: boolean;
  /** A non-negative integer, or null to remove the reservation. */
  reservedConcurrency?: number | null;
  /** An SQS queue or SNS topic ARN for discarded async events; '' removes it. */
  deadLetterTargetArn?: string;
}

/** PATCH /functions/:name: configuration only. */
export interface FunctionPatchRequest extends Omit<DeployRequest, 'code' | 'publish'> {
  eventInvokeConfig?: Partial<EventInvokeConfig>;
}

/** POST /functions/:name/versions. */
export interface PublishRequest {
  description?: string;
}

/** How POST /functions/:name/invoke runs (`?type=`); RequestResponse when absent. */
export type NativeInvocationType = 'RequestResponse' | 'Event' | 'DryRun';

/** POST /functions/:name/invoke?type=&tail=1&qualifier=, with the payload as the raw JSON body. */
export interface InvokeAnswer {
  requestId: string;
  statusCode: number;
  executedVersion: string;
  /** `Handled` or `Unhandled` when the function failed; `payload` is then its error object. */
  functionError?: string;
  /** The result parsed as JSON, the raw text when it is not JSON, or null when empty. */
  payload: unknown;
  /** The log tail, with `tail=1`. */
  logs?: string;
  /** The invocation record, once the invocation has run. */
  record?: InvocationRecord;
}

/** GET /functions/:name/logs?since=&limit=&requestId= (the SSE stream …/logs/stream sends `log` events). */
export interface LogsAnswer {
  lines: LogLine[];
}

/** GET /invocations?function=&limit= (the SSE stream /invocations/stream sends `invocation` events). */
export interface InvocationsAnswer {
  invocations: InvocationRecord[];
}

/** GET /billing?function=&since=&trigger=. */
export interface BillingAnswer extends BillingSummary {
  prices: PriceTable;
}

/** GET /concurrency?function=. */
export interface ConcurrencyAnswer {
  inUse: number;
  limit: number;
  byFunction: Record<string, number>;
  queueDepth: number;
}

/** GET /dlq?function=. */
export interface DeadLettersAnswer {
  deadLetters: DeadLetter[];
}

/** POST /dlq/:id/replay and POST /dlq/replay?function=. */
export interface ReplayAnswer {
  replayed: number;
}

// ---- objects -----------------------------------------------------------------------------------------

/** A bucket as listed. */
export interface BucketSummary {
  name: string;
  createdAt: string;
}

/** GET /buckets. */
export interface BucketList {
  buckets: BucketSummary[];
}

/** PUT /buckets/:bucket. */
export interface BucketCreated {
  name: string | undefined;
}

/** One object of a listing. */
export interface ListedObject {
  key: string;
  size: number;
  etag: string;
  lastModified: string;
  contentType: string;
}

/** GET /buckets/:bucket/objects?prefix=&delimiter=&startAfter=&maxKeys=. */
export interface ObjectListing {
  objects: ListedObject[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** Where the next page starts (`startAfter`), when the listing is truncated. */
  nextStartAfter?: string;
}

/** GET /buckets/:bucket/object-info/:key and the answer of PUT /buckets/:bucket/objects/:key. */
export type ObjectInfoAnswer = Omit<ObjectInfo, 'lastModified'> & { lastModified: string };

// ---- streams -----------------------------------------------------------------------------------------

/** A stream as listed. */
export interface StreamSummary {
  name: string;
  arn: string;
  openShards: number;
  retentionHours: number;
  /** Epoch milliseconds. */
  createdAt: number;
}

/** GET /streams. */
export interface StreamList {
  streams: StreamSummary[];
}

/** POST /streams (answers the StreamDescription). */
export interface CreateStreamRequest {
  name: string;
  shards?: number;
}

/** A shard as GET /streams/:name describes it: its range plus record counts and the newest record. */
export interface ShardDetail extends ShardDescription {
  open?: boolean;
  records?: number;
  lastSequenceNumber?: string;
  lastArrivalTimestamp?: number;
  ageOfLastRecordMs?: number;
}

/** GET /streams/:name. */
export interface StreamDetail extends Omit<StreamDescription, 'shards'> {
  shards: ShardDetail[];
}

/** POST /streams/:name/records. */
export interface PutRecordRequest {
  data: string;
  partitionKey?: string;
  /** How `data` is encoded; utf8 when absent. */
  encoding?: 'utf8' | 'base64';
}

/** What POST /streams/:name/records answers. */
export interface PutRecordAnswer {
  shardId: string;
  sequenceNumber: string;
}

/** A record as native JSON: data in base64 plus a UTF-8 preview (also the `record` event of …/tail). */
export interface StreamRecordJson {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: string;
  text: string;
  approximateArrivalTimestamp: number;
}

/** GET /streams/:name/records?shard=&after=&limit=. */
export interface RecordsAnswer {
  records: StreamRecordJson[];
  millisBehindLatest: number;
}

/** GET /functions/:name/aliases. */
export interface AliasList {
  aliases: FunctionAlias[];
}

// ---- tables ------------------------------------------------------------------------------------------

/** A table as listed. */
export interface TableSummary {
  name: string;
  arn: string;
  itemCount: number;
  keySchema: TableDescription['keySchema'];
  streamArn?: string;
}

/** GET /tables. */
export interface TableList {
  tables: TableSummary[];
}

/** POST /tables (answers the TableDescription): key attributes as `name` or `name:S|N|B`. */
export interface CreateTableRequest {
  name: string;
  partitionKey: string;
  sortKey?: string;
  stream?: StreamViewType;
}

/** An item as plain JSON. */
export type PlainItem = Record<string, unknown>;

/** PUT /tables/:name/items (with the item as body) and POST /tables/:name/get (with the key as body). */
export interface ItemAnswer {
  item: PlainItem;
}

/** GET /tables/:name/items?limit=&start=, `start` being the previous page's `lastEvaluatedKey` as JSON. */
export interface ItemsPage {
  items: PlainItem[];
  count: number;
  lastEvaluatedKey?: PlainItem;
}

/**
 * POST /tables/:name/query (answers an ItemsPage): the items of one partition of the table or of
 * an index, in sort key order. `key` holds exactly the partition key; `sort` narrows the sort key
 * (`op` one of = < <= > >= begins_with between; between takes two values).
 */
export interface QueryItemsRequest {
  key: PlainItem;
  index?: string;
  sort?: { op: string; values: Array<string | number> };
  limit?: number;
  reverse?: boolean;
  start?: PlainItem;
}

// ---- queues ------------------------------------------------------------------------------------------

/** GET /queues?prefix=. */
export interface QueueList {
  queues: QueueInfo[];
}

/** PUT /queues/:name (answers the QueueInfo). */
export interface CreateQueueRequest {
  fifo?: boolean;
  contentBasedDeduplication?: boolean;
  /** The name or ARN of an existing queue that takes messages received `maxReceiveCount` times. */
  deadLetterQueue?: string;
  maxReceiveCount?: number;
  visibilityTimeout?: number;
  delaySeconds?: number;
  messageRetentionPeriod?: number;
  receiveMessageWaitTimeSeconds?: number;
  /** Raw SQS attributes, applied first. */
  attributes?: Record<string, unknown>;
}

/** POST /queues/:name/messages (answers the SendResult). */
export interface SendMessageRequest {
  body: string;
  delaySeconds?: number;
  groupId?: string;
  deduplicationId?: string;
  attributes?: Record<string, string>;
}

/** A received message, its attributes flattened to their string (or base64) values. */
export type NativeMessage = Omit<ReceivedMessage, 'messageAttributes'> & {
  messageAttributes: Record<string, string | undefined>;
};

/** GET /queues/:name/messages?max=&wait=&visibility=. */
export interface MessagesAnswer {
  messages: NativeMessage[];
}

// ---- event source mappings and schedules -------------------------------------------------------------

/** GET /mappings?function=&eventSourceArn=. */
export interface MappingList {
  mappings: MappingView[];
}

/** POST /mappings: an ARN, or a source by type and name (answers the MappingView). */
export type CreateMappingRequest = Omit<MappingInput, 'eventSourceArn'> & {
  eventSourceArn?: string;
  source?: { type: 'stream' | 'table' | 'queue'; name: string };
};

/** PATCH /mappings/:uuid (answers the MappingView). */
export type MappingPatchRequest = MappingPatch;

/** GET /schedules. */
export interface ScheduleList {
  schedules: Schedule[];
}

/** POST /schedules (answers the Schedule): `input` as JSON text or any JSON value. */
export interface AddScheduleRequest {
  name: string;
  expression: string;
  functionName: string;
  input?: unknown;
}

// ---- jobs --------------------------------------------------------------------------------------------

/*
 * POST /jobs takes a JobSpec (a pipeline: a JobSpec with `stages`) and answers 201 with the
 * JobRecord. Before accepting it checks the input and the functions: 404 NoSuchBucket, 404 NoSuchKey
 * (a listed key), 400 NoInputObjects (nothing matched the prefix), 404 ResourceNotFoundException (an
 * unknown mapper or reducer), 400 InvalidParameterValueException (a malformed spec).
 * POST /jobs/:id/resume reruns a failed job's uncommitted tasks; POST /jobs/:id/stages/:n/rerun
 * reruns pipeline stage n from its stored input (409 StageNotRerunnable, 409 while it runs); both
 * answer the JobRecord.
 *
 * GET /jobs/:id/events (SSE) streams JobEvent values, event name = `type`; `?types=a,b` sends only
 * events of those types (the stream still ends at the job's end). Event types only ever get added. A pipeline's stream holds `job.started`, then per stage `pipeline.stage.started`, the
 * stage's own events (keys.listed, stage.started, task.*, progress, object.result, log, warning)
 * each with `pipelineStage` set, and `pipeline.stage.completed` (or `pipeline.stage.failed`),
 * then `cost` and `job.completed` (or `job.failed`) for the whole pipeline. Every event's
 * `counters` are the whole job's. A job resumed after the engine restarted begins again with
 * `warning` and `job.started` (resumed: true) in the same stream.
 */

/** GET /jobs?limit= (records without their per-object results; runs of pipeline stages are not listed). */
export interface JobList {
  jobs: JobRecord[];
}

/** POST /jobs/bgzip: rewrites a text object as splittable bgzip with its index. */
export interface BgzipRequest {
  bucket: string;
  key: string;
  /** The key to write; `<key without .gz>.gz` when absent. */
  target?: string;
  blockSize?: number;
}

/** What POST /jobs/bgzip answers. */
export interface BgzipAnswer {
  bucket: string;
  key: string;
  indexKey: string;
  members: number;
  size: number;
  rawSize: number;
}

// ---- topics ------------------------------------------------------------------------------------------

/** A topic as the native API shows it. */
export interface TopicView {
  name: string;
  arn: string;
  fifo: boolean;
  attributes: Record<string, string>;
  subscriptions: { confirmed: number; pending: number };
}

/** GET /topics. */
export interface TopicList {
  topics: TopicView[];
}

/** PUT /topics/:name (answers the TopicView). */
export interface CreateTopicRequest {
  fifo?: boolean;
  contentBasedDeduplication?: boolean;
  displayName?: string;
}

/** POST /topics/:name/messages. */
export interface PublishRequest {
  message: string;
  subject?: string;
  /** String message attributes. */
  attributes?: Record<string, string>;
  groupId?: string;
  deduplicationId?: string;
}

/** What POST /topics/:name/messages answers. */
export interface PublishAnswer {
  messageId: string;
  sequenceNumber?: string;
}

/** A subscription as the native API shows it (never its confirmation token). */
export interface SubscriptionView {
  arn: string;
  topicArn: string;
  protocol: string;
  endpoint: string;
  attributes: Record<string, string>;
  confirmed: boolean;
}

/** POST /topics/:name/subscriptions (answers the SubscriptionView). */
export interface SubscribeRequest {
  protocol: 'lambda' | 'sqs' | 'http' | 'https';
  /** A function or queue name or ARN, or a URL. */
  endpoint: string;
  rawMessageDelivery?: boolean;
  filterPolicy?: string;
  filterPolicyScope?: 'MessageAttributes' | 'MessageBody';
  /** Name or ARN of the queue that takes what cannot be delivered. */
  deadLetterQueue?: string;
}

/** GET /topics/:name/subscriptions. */
export interface SubscriptionList {
  subscriptions: SubscriptionView[];
}

// ── Lambda Architecture (/_lambdata/datasets, /_lambdata/views; docs/VIEWS.md) ──

export type { BatchGeneration, DatasetInfo, QueryAnswer, RecomputeEvent, TopEntry, ViewInfo, ViewSource };

/** POST /_lambdata/datasets: what the engine's `createDataset` takes (timeField defaults to `created_at`). */
export type CreateDatasetRequest = DatasetInput;

/** GET /_lambdata/datasets */
export interface DatasetList {
  datasets: DatasetInfo[];
}

/** POST /_lambdata/views: a built-in view id (`view`) or a module path on the server's machine (`code`). */
export interface CreateViewRequest {
  name: string;
  dataset: string;
  view?: string;
  code?: string;
  generations?: number;
  /** Seconds between scheduled incremental recomputes (≥ 10). */
  recomputeEvery?: number;
}

/** GET /_lambdata/views */
export interface ViewList {
  views: ViewInfo[];
}

/** GET /_lambdata/views/{name} */
export interface ViewDetail extends ViewInfo {
  top: TopEntry[];
}

/** POST /_lambdata/views/{name}/recompute */
export interface RecomputeRequest {
  incremental?: boolean;
}

/** 202 answer of POST /_lambdata/views/{name}/recompute */
export interface RecomputeAnswer {
  view: string;
  jobId: string | null;
}
