import { resolve } from 'node:path';
import {
  EventSourceMappings,
  FunctionUrlConfigs,
  ObjectNotifications,
  Schedules,
  TopicPublisher,
} from './events/index.js';
import {
  Billing,
  FunctionMetadata,
  FunctionRegistry,
  InvocationService,
  LogStore,
  openBookkeeping,
  type PriceTable,
} from './invoke/index.js';
import { JobService, type RetentionPolicy } from './jobs/index.js';
import { LambdaArch } from './lambda-arch/index.js';
import { EnvironmentPool, type PoolOptions } from './runtime/index.js';
import { arnService } from './shared/arn.js';
import type { Credentials, EngineContext } from './shared/context.js';
import { DEFAULT_REGION } from './shared/ids.js';
import { createLogger } from './shared/log.js';
import { openDb } from './state/index.js';
import { ObjectStore } from './storage/objects/index.js';
import { QueueStore } from './storage/queues/index.js';
import { StreamStore } from './storage/streams/index.js';
import { TableStore } from './storage/tables/index.js';
import { TopicStore } from './storage/topics/index.js';
import { Targets } from './targets/index.js';
import { Stacks } from './templates/index.js';

/** Options of `createEngine`; every one has a default fit for one machine. */
export interface EngineOptions {
  /** Where all state lives. Default `./.lambdata` (or LAMBDATA_DATA_DIR). */
  dataDir?: string;
  region?: string;
  /** URL functions use to reach the engine (AWS_ENDPOINT_URL); the server sets it when it listens. */
  endpoint?: string;
  /** Account-wide concurrent executions (default 1000). */
  accountConcurrency?: number;
  prices?: Partial<PriceTable>;
  credentials?: Credentials;
  runtime?: PoolOptions;
  /** Start background workers (delivery queue, pollers, schedules). Default true. */
  background?: boolean;
  /**
   * Hold the workers that invoke functions (delivery queue, mappings, schedules) until
   * `setEndpoint` is called. An environment keeps the AWS_ENDPOINT_URL it started with, so one started
   * before the server listens would call a wrong port for as long as it stays warm. Default false.
   */
  awaitEndpoint?: boolean;
  /** Where SQLite WAL checkpoints run (see `openDb`): 'background' (default) or 'auto'. */
  checkpoint?: 'background' | 'auto';
  /**
   * Finished job runs kept: per kind (a job's mapper, a pipeline, a view's recomputes) the newest
   * `keepRuns` (default 20) younger than `keepDays` (default 30); 0 turns a limit off.
   */
  jobRetention?: Partial<RetentionPolicy>;
}

/** The engine: one object owning every service and their lifetimes (DESIGN.md). */
export interface Engine {
  readonly dataDir: string;
  readonly context: EngineContext;
  readonly runtime: EnvironmentPool;
  readonly functions: FunctionRegistry;
  /** Execution roles and tags of functions. */
  readonly functionMetadata: FunctionMetadata;
  readonly invocations: InvocationService;
  readonly logs: LogStore;
  readonly billing: Billing;
  readonly objects: ObjectStore;
  readonly notifications: ObjectNotifications;
  /** Function URL configurations. */
  readonly functionUrls: FunctionUrlConfigs;
  readonly streams: StreamStore;
  readonly tables: TableStore;
  readonly queues: QueueStore;
  /** SNS topics and subscriptions (state). */
  readonly topics: TopicStore;
  /** SNS publishing and delivery to subscriptions. */
  readonly topicPublisher: TopicPublisher;
  readonly mappings: EventSourceMappings;
  readonly schedules: Schedules;
  readonly jobs: JobService;
  /** The Lambda Architecture: master datasets, batch and speed views, queries. */
  readonly views: LambdaArch;
  /** Scale-out targets (AWS accounts/regions) functions and jobs can run on besides this machine. */
  readonly targets: Targets;
  /** Stacks deployed from SAM and serverless.yml templates (docs/TEMPLATES.md). */
  readonly stacks: Stacks;
  /** Sets the URL functions use to call back (the server calls this once it listens). */
  setEndpoint(url: string): void;
  /** Stops cleanly: in-flight work drains or stays durably queued; environments are reaped. */
  close(): Promise<void>;
}

/** Creates the engine over a data dir, resuming whatever was durably queued there. */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const dataDir = resolve(options.dataDir ?? process.env.LAMBDATA_DATA_DIR ?? '.lambdata');
  let endpoint = options.endpoint ?? 'http://127.0.0.1:4566';
  const db = openDb(dataDir, { checkpoint: options.checkpoint });
  const context: EngineContext = {
    db,
    dataDir,
    region: options.region ?? DEFAULT_REGION,
    credentials: options.credentials ?? { accessKeyId: 'test', secretAccessKey: 'test' },
    endpoint: () => endpoint,
    log: createLogger('engine'),
  };

  // Before the invoke layer's stores: their tables live in the bookkeeping database, written off the event loop.
  openBookkeeping(context, { synchronous: 'NORMAL' });
  const runtime = new EnvironmentPool(context, options.runtime);
  const functions = new FunctionRegistry(context, {
    onChange: (name) => runtime.retire(name),
    // Asked at request time, once the queues and topics below exist.
    deadLetterTargetExists: (arn): boolean =>
      arnService(arn) === 'sqs' ? queues.hasQueue(queues.nameOf(arn)) : topicPublisher.hasTopic(arn),
  });
  const functionMetadata = new FunctionMetadata(context);
  const logs = new LogStore(context);
  const billing = new Billing(context, options.prices);
  const queues = new QueueStore(context);
  const invocations = new InvocationService(context, {
    functions,
    runtime,
    logs,
    billing,
    queues,
    accountConcurrency: options.accountConcurrency ?? 1000,
  });
  const objects = new ObjectStore(context);
  const { deliveries } = invocations;
  const topics = new TopicStore(context);
  const topicPublisher = new TopicPublisher(context, { topics, queues, deliveries });
  const notifications = new ObjectNotifications(context, { objects, deliveries, functions, topics: topicPublisher });
  const functionUrls = new FunctionUrlConfigs(context);
  const streams = new StreamStore(context);
  const tables = new TableStore(context);
  const mappings = new EventSourceMappings(context, {
    invoker: invocations,
    deliveries,
    functions,
    streams,
    tables,
    queues,
  });
  const schedules = new Schedules(context, { invoker: invocations });
  // The one place a backend is chosen: a job naming a target gets that target's invoker and object source.
  const targets = new Targets(context);
  const jobs = new JobService(context, {
    invoker: invocations,
    objects,
    functions,
    billing,
    logLines: logs.lines,
    backends: (name) => targets.backend(name),
    retention: options.jobRetention,
    // Short-circuit local reads need a namespace sandbox: at the process level mappers read over S3.
    ...(runtime.sandbox.level === 'process'
      ? {}
      : { grantFiles: (requestId, fn, files) => runtime.grantReads(requestId, fn, files) }),
  });

  const views = new LambdaArch(context, {
    objects,
    streams,
    mappings,
    deliveries,
    functions,
    invoker: invocations,
    jobs,
  });
  const stacks = new Stacks(context, {
    functions,
    objects,
    queues,
    streams,
    tables,
    topics,
    notifications,
    mappings,
    schedules,
    functionUrls,
  });

  const background = [objects, invocations, mappings, schedules, jobs, views, queues, streams, tables];
  // Held until the endpoint is known: these invoke functions as they start (jobs resume interrupted runs).
  const invoking: unknown[] = [invocations, mappings, schedules, jobs];
  let held =
    options.background !== false && options.awaitEndpoint ? background.filter((s) => invoking.includes(s)) : [];
  let releasing: Promise<void> | undefined;
  if (options.background !== false) {
    for (const service of background) if (!held.includes(service)) await service.start();
  }

  let closing: Promise<void> | undefined;
  return {
    dataDir,
    context,
    runtime,
    functions,
    functionMetadata,
    invocations,
    logs,
    billing,
    objects,
    notifications,
    functionUrls,
    streams,
    tables,
    queues,
    topics,
    topicPublisher,
    mappings,
    schedules,
    jobs,
    views,
    targets,
    stacks,
    setEndpoint(url) {
      endpoint = url;
      const starting = held;
      held = [];
      if (starting.length > 0 && !closing) {
        releasing = (async () => {
          for (const service of starting) await service.start();
        })().catch((err) => context.log.error('background service failed to start', { err }));
      }
    },
    close() {
      closing ??= (async () => {
        await releasing;
        for (const service of [...background].reverse()) await service.stop();
        await runtime.close();
        db.close();
      })();
      return closing;
    },
  };
}
