import { randomUUID } from 'node:crypto';
import type { Deliveries, FunctionRegistry, Invoker } from '../invoke/index.js';
import { kinesisStreamNameOf, parseFunctionRef, queueNameOf, tableNameOfStream, withQualifier } from '../shared/arn.js';
import type { BackgroundService, EngineContext } from '../shared/context.js';
import { InvalidParameterValue, ResourceConflict, ResourceNotFound } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';
import type { QueueStore } from '../storage/queues/index.js';
import type { StreamRecordRef, StreamStore } from '../storage/streams/index.js';
import type { TableStore } from '../storage/tables/index.js';
import type { BatchOutcome } from './batch.js';
import { dynamodbEvent, kinesisEvent } from './event-shapes.js';
import { MappingStore } from './mapping-store.js';
import type {
  MappingConfig,
  MappingInput,
  MappingPatch,
  MappingStatus,
  MappingView,
  SourceType,
} from './mapping-types.js';
import { validateMapping } from './mapping-validation.js';
import { QueuePoller } from './queue-poller.js';
import { streamSource, tableSource } from './shard-sources.js';
import { StreamPoller } from './stream-poller.js';

export interface EventSourceMappingsOptions {
  invoker: Invoker;
  functions: FunctionRegistry;
  streams: StreamStore;
  tables: TableStore;
  queues: QueueStore;
  /** Where on-failure records go. */
  deliveries: Pick<Deliveries, 'send'>;
}

interface Poller {
  start(): void;
  stop(): Promise<void>;
  status(): MappingStatus;
}

const IDLE_STATUS: MappingStatus = { lag: 0, invocations: 0, failures: 0 };

/** An engine-internal consumer of a Kinesis stream (see `EventSourceMappings.consume`). */
export interface StreamConsumerSpec {
  /** Stable id: the consumer's checkpoints are kept under it across restarts. */
  id: string;
  streamName: string;
  batchSize?: number;
  /** Default -1: retry until the records expire. */
  maximumRetryAttempts?: number;
  bisectBatchOnFunctionError?: boolean;
  /** SQS queue or function ARN that gets the records given up on. */
  onFailureDestination?: string;
  /** Handles one batch in order; a throw or a failed outcome retries it as a failed invocation would be. */
  handle(records: StreamRecordRef[]): Promise<BatchOutcome>;
}

/** A running internal consumer. */
export interface StreamConsumer {
  status(): MappingStatus;
  stop(): Promise<void>;
}

/**
 * Event source mappings: pollers feeding functions from streams, table change streams and
 * queues. Mappings and checkpoints are durable; create/update/enable/disable/delete take effect
 * at once.
 */
export class EventSourceMappings implements BackgroundService {
  #context: EngineContext;
  #options: EventSourceMappingsOptions;
  #store: MappingStore;
  #pollers = new Map<string, Poller>();
  #consumers = new Map<string, Poller>();
  #started = false;

  constructor(context: EngineContext, options: EventSourceMappingsOptions) {
    this.#context = context;
    this.#options = options;
    this.#store = new MappingStore(context);
  }

  async start(): Promise<void> {
    this.#started = true;
    for (const mapping of this.#store.all()) if (mapping.enabled) this.#startPoller(mapping);
  }

  async stop(): Promise<void> {
    this.#started = false;
    const pollers = [...this.#pollers.values(), ...this.#consumers.values()];
    this.#pollers.clear();
    this.#consumers.clear();
    await Promise.all(pollers.map((p) => p.stop()));
  }

  /**
   * Starts an engine-internal consumer of a stream: the same poller as a Kinesis mapping (batches in
   * shard order, retries, bisection, durable checkpoints, the failure destination), handing each batch
   * to in-process code instead of invoking a function. It reads from TRIM_HORIZON the first time.
   * @throws ResourceNotFound (stream), ResourceConflict (a consumer with that id runs)
   */
  consume(spec: StreamConsumerSpec): StreamConsumer {
    const { streams, invoker, deliveries } = this.#options;
    if (this.#consumers.has(spec.id)) throw new ResourceConflict(`Consumer ${spec.id} is already running`);
    const config = validateMapping({
      uuid: `consumer:${spec.id}`,
      functionName: spec.id,
      functionArn: spec.id,
      eventSourceArn: streams.streamArn(spec.streamName),
      sourceType: 'kinesis',
      sourceName: spec.streamName,
      enabled: true,
      batchSize: spec.batchSize ?? 500,
      maximumRetryAttempts: spec.maximumRetryAttempts ?? -1,
      bisectBatchOnFunctionError: spec.bisectBatchOnFunctionError ?? false,
      onFailureDestination: spec.onFailureDestination,
      startingPosition: 'TRIM_HORIZON',
      lastModified: Date.now(),
      lastProcessingResult: 'No records processed',
      stateTransitionReason: 'USER_INITIATED',
    });
    const poller = new StreamPoller(config, {
      source: streamSource(streams, config),
      event: () => undefined,
      invoker,
      deliveries,
      store: this.#store,
      log: this.#context.log.child({ component: 'consumers', id: spec.id }),
      trigger: 'kinesis',
      onResult: () => {},
      handle: spec.handle,
    });
    poller.initialize();
    this.#consumers.set(spec.id, poller);
    poller.start();
    return {
      status: () => poller.status(),
      stop: async () => {
        if (this.#consumers.get(spec.id) === poller) this.#consumers.delete(spec.id);
        await poller.stop();
      },
    };
  }

  /** Forgets an internal consumer's checkpoints (after it stopped for good). */
  forgetConsumer(id: string): void {
    this.#store.delete(`consumer:${id}`);
  }

  /** The event source ARN of a stream, table (its change stream) or queue by name. @throws ResourceNotFound */
  sourceArn(type: 'stream' | 'table' | 'queue', name: string): string {
    if (type === 'stream') return this.#options.streams.streamArn(name);
    if (type === 'queue') return this.#options.queues.queueArn(name);
    const arn = this.#options.tables.streamArn(name);
    if (!arn) throw new InvalidParameterValue(`Table ${name} has no stream enabled`);
    return arn;
  }

  /**
   * Creates a mapping and starts polling at once (when enabled).
   * @throws ResourceNotFoundException (function), InvalidParameterValueException (source or options)
   */
  create(input: MappingInput): MappingView {
    const fn = this.#options.functions.get(input.functionName);
    const { sourceType, sourceName } = this.#parseSource(input.eventSourceArn);
    const config = validateMapping({
      ...input,
      uuid: randomUUID(),
      functionName: fn.name,
      functionArn: mappedArn(fn.arn, input.functionName),
      sourceType,
      sourceName,
      enabled: input.enabled ?? true,
      lastModified: Date.now(),
      lastProcessingResult: 'No records processed',
      stateTransitionReason: 'USER_INITIATED',
    });
    this.#store.put(config);
    if (config.enabled) this.#startPoller(config);
    return { ...this.view(config.uuid), state: config.enabled ? 'Creating' : 'Disabled' };
  }

  /** One mapping with its state and lag. @throws ResourceNotFound */
  view(uuid: string): MappingView {
    const config = this.#require(uuid);
    const poller = this.#pollers.get(uuid);
    return { ...config, state: config.enabled ? 'Enabled' : 'Disabled', status: poller?.status() ?? IDLE_STATUS };
  }

  /** Mappings, optionally only those of a function and/or an event source ARN. */
  list(filter: { functionName?: string; eventSourceArn?: string } = {}): MappingView[] {
    let fnName: string | undefined;
    if (filter.functionName) fnName = this.#options.functions.get(filter.functionName).name;
    return this.#store
      .all()
      .filter(
        (m) =>
          (fnName === undefined || m.functionName === fnName) &&
          (!filter.eventSourceArn || m.eventSourceArn === filter.eventSourceArn),
      )
      .map((m) => this.view(m.uuid));
  }

  /** Changes a mapping (including enabling or disabling it); the poller restarts from its checkpoints. @throws ResourceNotFound, InvalidParameterValue */
  async update(uuid: string, patch: MappingPatch): Promise<MappingView> {
    const current = this.#require(uuid);
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as MappingPatch;
    const next: MappingConfig = validateMapping({
      ...current,
      ...defined,
      lastModified: Date.now(),
      stateTransitionReason: 'USER_INITIATED',
    });
    if (defined.functionName) {
      const fn = this.#options.functions.get(defined.functionName);
      next.functionName = fn.name;
      next.functionArn = mappedArn(fn.arn, defined.functionName);
    }
    this.#store.put(next);
    await this.#stopPoller(uuid);
    if (next.enabled) this.#startPoller(next);
    const state = current.enabled === next.enabled ? 'Updating' : next.enabled ? 'Enabling' : 'Disabling';
    return { ...this.view(uuid), state };
  }

  /** Deletes a mapping and its checkpoints after its poller stops. @throws ResourceNotFound */
  async delete(uuid: string): Promise<MappingView> {
    const view = this.view(uuid);
    await this.#stopPoller(uuid);
    this.#store.delete(uuid);
    return { ...view, state: 'Deleting' };
  }

  #require(uuid: string): MappingConfig {
    const config = this.#store.get(uuid);
    if (!config)
      throw new ResourceNotFound(`The resource you requested does not exist. (Event source mapping ${uuid})`);
    return config;
  }

  #parseSource(arn: string): { sourceType: SourceType; sourceName: string } {
    const stream = kinesisStreamNameOf(arn);
    if (stream) {
      if (!this.#options.streams.hasStream(stream)) throw new InvalidParameterValue(`Stream not found: ${arn}`);
      return { sourceType: 'kinesis', sourceName: stream };
    }
    const table = tableNameOfStream(arn);
    if (table) {
      let streamArn: string | undefined;
      try {
        streamArn = this.#options.tables.streamArn(table);
      } catch (err) {
        throw new InvalidParameterValue(`Stream not found: ${arn}`, { cause: err });
      }
      if (!streamArn) throw new InvalidParameterValue(`Stream not found: ${arn}`);
      return { sourceType: 'dynamodb', sourceName: table };
    }
    const queue = queueNameOf(arn);
    if (queue) {
      if (!this.#options.queues.hasQueue(queue)) throw new InvalidParameterValue(`Queue not found: ${arn}`);
      return { sourceType: 'sqs', sourceName: queue };
    }
    throw new InvalidParameterValue(`Unsupported event source ARN: ${arn}`);
  }

  #startPoller(config: MappingConfig): void {
    if (!this.#started || this.#pollers.has(config.uuid)) return;
    const { invoker, deliveries, queues, streams, tables } = this.#options;
    const log = this.#context.log.child({ component: 'mappings', uuid: config.uuid });
    const onResult = (ok: boolean) => this.#recordResult(config.uuid, ok);
    const source = {
      eventSourceArn: config.eventSourceArn,
      region: this.#context.region,
      functionArn: config.functionArn,
    };
    let poller: Poller;
    if (config.sourceType === 'sqs') {
      poller = new QueuePoller(config, { queues, invoker, log, region: this.#context.region, onResult });
    } else if (config.sourceType === 'kinesis') {
      const p = new StreamPoller(config, {
        source: streamSource(streams, config),
        event: (records) => kinesisEvent(records, source),
        invoker,
        deliveries,
        store: this.#store,
        log,
        trigger: 'kinesis',
        onResult,
      });
      this.#initialize(p, log);
      poller = p;
    } else {
      const p = new StreamPoller(config, {
        source: tableSource(tables, config),
        event: (records) =>
          dynamodbEvent(records, tables.streamViewType(config.sourceName) ?? 'NEW_AND_OLD_IMAGES', source),
        invoker,
        deliveries,
        store: this.#store,
        log,
        trigger: 'dynamodb',
        onResult,
      });
      this.#initialize(p, log);
      poller = p;
    }
    this.#pollers.set(config.uuid, poller);
    poller.start();
  }

  /** Fixes starting positions; a source that is gone now is logged, and its poller retries reading. */
  #initialize(poller: { initialize(): void }, log: Logger): void {
    try {
      poller.initialize();
    } catch (err) {
      log.warn('cannot initialize mapping checkpoints', { err });
    }
  }

  async #stopPoller(uuid: string): Promise<void> {
    const poller = this.#pollers.get(uuid);
    this.#pollers.delete(uuid);
    await poller?.stop();
  }

  #recordResult(uuid: string, ok: boolean): void {
    const config = this.#store.get(uuid);
    const result = ok ? 'OK' : 'PROBLEM: Function call failed';
    if (!config || config.lastProcessingResult === result) return;
    this.#store.put({ ...config, lastProcessingResult: result });
  }
}

/** The ARN a mapping invokes: the function's, keeping an alias the caller named so each batch follows the alias. */
function mappedArn(resolvedArn: string, requested: string): string {
  const { qualifier } = parseFunctionRef(requested);
  return qualifier ? withQualifier(resolvedArn, qualifier) : resolvedArn;
}
