/**
 * The Lambda Architecture service (`engine.views`): master datasets, views, the batch layer's
 * recomputes, the speed layer and the serving layer, composed over storage, events, invoke and jobs.
 */
import type { EventSourceMappings } from '../events/index.js';
import type { Deliveries, FunctionRegistry, Invoker } from '../invoke/index.js';
import type { JobService } from '../jobs/index.js';
import type { BackgroundService, EngineContext } from '../shared/context.js';
import { Topic } from '../shared/events.js';
import type { ObjectStore } from '../storage/objects/index.js';
import type { StreamStore } from '../storage/streams/index.js';
import { BatchStore } from './batch-store.js';
import type { DatasetInput } from './dataset-input.js';
import { DatasetLocks } from './dataset-lock.js';
import { RecomputeRunning } from './errors.js';
import { MasterDatasets } from './master-dataset.js';
import { recompute } from './recompute.js';
import { migrateLambdaArch } from './schema.js';
import { Serving } from './serving.js';
import { SpeedLayer } from './speed-layer.js';
import type { DatasetInfo, QueryAnswer, QueryOptions, RecomputeEvent, TopEntry, ViewInfo } from './types.js';
import { type LoadedView, ViewCatalog, type ViewInput } from './view-catalog.js';
import type { ViewFold } from './view-module.js';

export interface LambdaArchOptions {
  objects: ObjectStore;
  streams: StreamStore;
  mappings: EventSourceMappings;
  deliveries: Pick<Deliveries, 'send'>;
  functions: FunctionRegistry;
  /** Runs user views' speed functions. */
  invoker: Invoker;
  jobs: JobService;
}

/** What the change stream carries (SSE `view` and `recompute` events). */
export type ViewsEvent = { type: 'view'; view: ViewInfo } | { type: 'recompute'; recompute: RecomputeEvent };

interface RecomputeState {
  running: boolean;
  jobId?: string;
  startedAt?: number;
  lastDurationMs?: number;
  lastError?: string;
}

/** At most this many `view` events per second per view. */
const VIEW_EVENTS_PER_SECOND = 4;

/** Datasets and views: the library surface behind `/_lambdata/datasets`, `/_lambdata/views` and the CLI. */
export class LambdaArch implements BackgroundService {
  /** Changes of views and recompute phases. */
  readonly events = new Topic<ViewsEvent>();
  #context: EngineContext;
  #options: LambdaArchOptions;
  #locks = new DatasetLocks();
  #datasets: MasterDatasets;
  #catalog: ViewCatalog;
  #speed: SpeedLayer;
  #batch: BatchStore;
  #serving: Serving;
  #recomputes = new Map<string, RecomputeState>();
  #inFlight = new Set<Promise<unknown>>();
  #throttle = new Map<string, NodeJS.Timeout>();
  #lastSent = new Map<string, number>();
  #schedules = new Map<string, NodeJS.Timeout>();

  constructor(context: EngineContext, options: LambdaArchOptions) {
    this.#context = context;
    this.#options = options;
    migrateLambdaArch(context.db);
    this.#speed = new SpeedLayer(context);
    this.#batch = new BatchStore(context);
    this.#catalog = new ViewCatalog(context, options.functions, options.invoker);
    this.#datasets = new MasterDatasets(context, {
      objects: options.objects,
      streams: options.streams,
      mappings: options.mappings,
      deliveries: options.deliveries,
      locks: this.#locks,
      speed: async (dataset, events, skip) => {
        const views = this.#catalog.ofDataset(dataset).filter((v) => !skip.has(v.config.name));
        const folds = await Promise.all(views.map((v) => v.folder.fold(events)));
        return {
          views: views.map((v) => v.config.name),
          apply: () => {
            for (const [i, v] of views.entries()) this.#speed.apply(v.config.name, v.view, folds[i] as ViewFold);
          },
        };
      },
      onArchived: (dataset) => {
        for (const v of this.#catalog.ofDataset(dataset)) this.#changed(v.config.name);
      },
    });
    this.#serving = new Serving(context, { batch: this.#batch, speed: this.#speed, datasets: this.#datasets });
  }

  async start(): Promise<void> {
    await this.#catalog.load();
    await this.#datasets.start();
    for (const v of this.#catalog.list()) this.#schedule(v);
  }

  async stop(): Promise<void> {
    for (const timer of this.#schedules.values()) clearInterval(timer);
    this.#schedules.clear();
    await this.#datasets.stop();
    await Promise.allSettled([...this.#inFlight]);
    for (const timer of this.#throttle.values()) clearTimeout(timer);
    this.#throttle.clear();
  }

  /** Creates a dataset archiving a stream. @throws InvalidParameterValue, ResourceConflict */
  createDataset(input: DatasetInput): DatasetInfo {
    return this.#datasets.create(input);
  }

  listDatasets(): DatasetInfo[] {
    return this.#datasets.list();
  }

  /** @throws DatasetNotFound */
  dataset(name: string): DatasetInfo {
    return this.#datasets.info(name);
  }

  /** Deletes master objects past their retention now (a timer also does this every few seconds). */
  sweepRetention(now?: number): Promise<number> {
    return this.#datasets.sweepRetention(now);
  }

  /**
   * Creates a view over a dataset: bundles and deploys its batch functions, and seeds its speed layer
   * with every event already archived (no batch version covers them yet).
   * @throws DatasetNotFound, InvalidParameterValue, ResourceConflict
   */
  async createView(input: ViewInput): Promise<ViewInfo> {
    const dataset = this.#datasets.config(input?.dataset);
    const prepared = await this.#catalog.prepare(input);
    await this.#locks.run(dataset.name, async () => {
      const events = await this.#datasets.readEvents(
        dataset.name,
        this.#datasets.objects(dataset.name).map((o) => o.key),
      );
      const fold = await prepared.folder.fold(events);
      this.#context.db.transaction(() => {
        this.#catalog.commit(prepared);
        this.#speed.apply(prepared.config.name, prepared.view, fold);
      })();
    });
    this.#schedule(prepared);
    return this.view(prepared.config.name);
  }

  listViews(): ViewInfo[] {
    return this.#catalog.list().map((v) => this.#info(v));
  }

  /** @throws ViewNotFound */
  view(name: string): ViewInfo {
    return this.#info(this.#catalog.get(name));
  }

  /** The keys with the highest totals, with their batch and speed parts. @throws ViewNotFound */
  top(name: string): TopEntry[] {
    return this.#serving.top(this.#catalog.get(name));
  }

  /** batch(t < B) ⊕ speed(t ≥ B) for one key. @throws ViewNotFound, ResourceNotFound (version) */
  query(name: string, key: string, options: QueryOptions = {}): QueryAnswer {
    return this.#serving.query(this.#catalog.get(name), key, options);
  }

  /**
   * Starts a recompute of a view's batch version and resolves once its job is submitted; `done`
   * resolves with the swap (or rejects with the failure).
   * @throws ViewNotFound, RecomputeRunning
   */
  async recompute(
    name: string,
    options: { incremental?: boolean } = {},
  ): Promise<{ view: string; jobId: string | null; done: Promise<ViewInfo> }> {
    const loaded = this.#catalog.get(name);
    const previous = this.#recomputes.get(name);
    if (previous?.running) throw new RecomputeRunning(name, previous.jobId);
    const state: RecomputeState = { ...previous, running: true, startedAt: Date.now(), jobId: undefined };
    this.#recomputes.set(name, state);
    let submitted!: (jobId: string | null) => void;
    const jobKnown = new Promise<string | null>((resolve) => {
      submitted = resolve;
    });
    const done = this.#runRecompute(loaded, state, Boolean(options.incremental), (jobId) => submitted(jobId));
    done.then(
      () => submitted(null),
      () => submitted(null),
    );
    const tracked = done.catch(() => undefined);
    this.#inFlight.add(tracked);
    void tracked.finally(() => this.#inFlight.delete(tracked));
    const jobId = await jobKnown;
    return { view: name, jobId, done };
  }

  async #runRecompute(
    loaded: LoadedView,
    state: RecomputeState,
    incremental: boolean,
    onJob: (jobId: string) => void,
  ): Promise<ViewInfo> {
    const name = loaded.config.name;
    const deps = {
      jobs: this.#options.jobs,
      datasets: this.#datasets,
      batch: this.#batch,
      speed: this.#speed,
      locks: this.#locks,
      onPhase: (event: RecomputeEvent) => this.events.publish({ type: 'recompute', recompute: event }),
    };
    try {
      const generation = await recompute(this.#context, deps, loaded, {
        incremental,
        onJob: (jobId) => {
          state.jobId = jobId;
          onJob(jobId);
        },
      });
      state.lastError = undefined;
      deps.onPhase({
        view: name,
        jobId: state.jobId,
        phase: 'swapped',
        version: generation.version,
        horizon: generation.horizon,
      });
      return this.view(name);
    } catch (err) {
      state.lastError = (err as Error).message ?? String(err);
      this.#context.log.warn('recompute failed', { view: name, err });
      deps.onPhase({ view: name, jobId: state.jobId, phase: 'failed', error: state.lastError });
      throw err;
    } finally {
      state.running = false;
      state.lastDurationMs = Date.now() - (state.startedAt ?? Date.now());
      this.#changed(name, true);
    }
  }

  /** Starts a view's scheduled incremental recomputes (skipped while one runs). */
  #schedule(loaded: LoadedView): void {
    const every = loaded.config.recomputeEvery;
    if (!every || this.#schedules.has(loaded.config.name)) return;
    const timer = setInterval(() => {
      if (this.#recomputes.get(loaded.config.name)?.running) return;
      this.recompute(loaded.config.name, { incremental: true }).then(
        (started) => started.done.catch(() => undefined),
        (err) => this.#context.log.warn('scheduled recompute did not start', { view: loaded.config.name, err }),
      );
    }, every * 1000);
    timer.unref();
    this.#schedules.set(loaded.config.name, timer);
  }

  #info(loaded: LoadedView): ViewInfo {
    const { config, view } = loaded;
    const current = this.#batch.current(config.name);
    const dataset = this.#datasets.info(config.dataset);
    const stats = this.#speed.stats(config.name);
    const errors = this.#speed.errors(config.name);
    const recomputeState = this.#recomputes.get(config.name) ?? { running: false };
    return {
      name: config.name,
      dataset: config.dataset,
      granularity: view.granularity,
      monoid: view.monoid.name,
      source: config.source,
      ...(config.recomputeEvery ? { recomputeEvery: config.recomputeEvery } : {}),
      batch: current ? { ...current, generations: this.#batch.generations(config.name) } : null,
      speed: {
        checkpointTime: dataset.completeUpTo,
        buckets: stats.buckets,
        keys: stats.keys,
        lagMs: this.#datasets.lagMs(config.dataset),
      },
      recompute: { ...recomputeState },
      errors,
    };
  }

  /** Publishes a `view` event, at most VIEW_EVENTS_PER_SECOND per view (the last state always goes out). */
  #changed(name: string, now = false): void {
    if (this.events.listenerCount === 0) return;
    const interval = 1000 / VIEW_EVENTS_PER_SECOND;
    const wait = now ? 0 : Math.max(0, (this.#lastSent.get(name) ?? 0) + interval - Date.now());
    if (wait === 0) {
      clearTimeout(this.#throttle.get(name));
      this.#throttle.delete(name);
      this.#send(name);
      return;
    }
    if (this.#throttle.has(name)) return;
    const timer = setTimeout(() => {
      this.#throttle.delete(name);
      this.#send(name);
    }, wait);
    timer.unref();
    this.#throttle.set(name, timer);
  }

  #send(name: string): void {
    this.#lastSent.set(name, Date.now());
    try {
      this.events.publish({ type: 'view', view: this.view(name) });
    } catch (err) {
      this.#context.log.warn('cannot describe view', { view: name, err });
    }
  }
}
