/**
 * The views: their configuration in SQLite, their functions deployed in the function registry
 * (batch mapper and reducer; for a user's module also the speed layer's folder), and how each
 * folds a batch: a built-in view in the engine, a user's view only in its sandboxed function.
 */
import type { FunctionRegistry, Invoker } from '../invoke/index.js';
import type { EngineContext } from '../shared/context.js';
import { InvalidParameterValue, ResourceConflict } from '../shared/errors.js';
import { NAME } from './dataset-input.js';
import { ViewNotFound } from './errors.js';
import type { ViewConfig, ViewSource } from './types.js';
import { describeView, inProcessFolder, sandboxedFolder, shapeOf, type ViewFolder } from './view-folder.js';
import { resolveView, type ViewShape } from './view-module.js';
import { builtinView, packageView } from './view-packages.js';

/** What creating a view takes: a built-in view id or a module path. */
export interface ViewInput {
  name: string;
  dataset: string;
  view?: string;
  code?: string;
  generations?: number;
  /** Seconds between scheduled incremental recomputes (≥ 10); absent: only on demand. */
  recomputeEvery?: number;
}

/** A view ready for use: what the engine knows of it, and how its speed layer folds a batch. */
export interface LoadedView {
  config: ViewConfig;
  view: ViewShape;
  folder: ViewFolder;
}

const DEFAULT_GENERATIONS = 3;

/** Views by name. */
export class ViewCatalog {
  #context: EngineContext;
  #functions: FunctionRegistry;
  #invoker: Invoker;
  #loaded = new Map<string, LoadedView>();
  #sql;

  constructor(context: EngineContext, functions: FunctionRegistry, invoker: Invoker) {
    this.#context = context;
    this.#functions = functions;
    this.#invoker = invoker;
    const db = context.db;
    this.#sql = {
      all: db.prepare<[], { name: string; config: string }>('SELECT name, config FROM la_views ORDER BY name'),
      insert: db.prepare('INSERT INTO la_views (name, config, created_at) VALUES (?, ?, ?)'),
    };
  }

  /**
   * Loads every view (at start): a built-in's module, a user view's stored shape. A view that no
   * longer loads (or a user view stored before user code left the engine, without a speed function)
   * is logged and left out.
   */
  async load(): Promise<void> {
    for (const row of this.#sql.all.all()) {
      const config = JSON.parse(row.config) as ViewConfig;
      try {
        this.#loaded.set(config.name, this.#ready(config));
      } catch (err) {
        this.#context.log.error('cannot load view', { view: config.name, err });
      }
    }
  }

  /**
   * Checks a new view, bundles and deploys its batch functions, and loads its module.
   * Does not store it (see `commit`). @throws InvalidParameterValue, ResourceConflict
   */
  async prepare(input: ViewInput): Promise<LoadedView> {
    if (!input || typeof input !== 'object')
      throw new InvalidParameterValue('a view needs { name, dataset, view | code }');
    if (typeof input.name !== 'string' || !NAME.test(input.name))
      throw new InvalidParameterValue(`name must match ${NAME.source}`);
    if (this.#loaded.has(input.name)) throw new ResourceConflict(`View already exists: ${input.name}`);
    if ((input.view === undefined) === (input.code === undefined))
      throw new InvalidParameterValue('give exactly one of view (a built-in view id) or code (a module path)');
    const generations = input.generations ?? DEFAULT_GENERATIONS;
    if (!Number.isInteger(generations) || generations < 1 || generations > 100)
      throw new InvalidParameterValue('generations must be an integer from 1 to 100');
    const every = input.recomputeEvery;
    if (every !== undefined && (typeof every !== 'number' || !Number.isFinite(every) || every < 10))
      throw new InvalidParameterValue('recomputeEvery must be a number of seconds, at least 10');
    const source: ViewSource =
      input.view !== undefined ? { builtin: String(input.view) } : { code: String(input.code) };
    if ('builtin' in source) builtinView(source.builtin);
    const config: ViewConfig = {
      name: input.name,
      dataset: input.dataset,
      source,
      generations,
      ...(every !== undefined ? { recomputeEvery: every } : {}),
      mapper: `view-${input.name}-map`,
      reducer: `view-${input.name}-reduce`,
      mapOutput: 'per-task',
    };
    const packages = await packageView(source);
    if (packages.speedZip) {
      config.speed = `view-${input.name}-speed`;
      await this.#deploy(config.speed, packages.speedZip, 60);
      const shape = await describeView(this.#invoker, config.speed);
      config.shape = { granularity: shape.granularity, monoid: shape.monoid.name };
    }
    await this.#deploy(config.mapper, packages.mapperZip);
    await this.#deploy(config.reducer, packages.reducerZip);
    return this.#ready(config);
  }

  /** Stores a prepared view and makes it visible (call inside the transaction that seeds it). */
  commit(loaded: LoadedView): void {
    this.#sql.insert.run(loaded.config.name, JSON.stringify(loaded.config), Date.now());
    this.#loaded.set(loaded.config.name, loaded);
  }

  /** A view. @throws ViewNotFound */
  get(name: string): LoadedView {
    const loaded = this.#loaded.get(name);
    if (!loaded) throw new ViewNotFound(name);
    return loaded;
  }

  /** Every view, by name. */
  list(): LoadedView[] {
    return [...this.#loaded.values()].sort((a, b) => (a.config.name < b.config.name ? -1 : 1));
  }

  /** The views of a dataset. */
  ofDataset(dataset: string): LoadedView[] {
    return [...this.#loaded.values()].filter((v) => v.config.dataset === dataset);
  }

  /** A stored view made usable. @throws InvalidParameterValue */
  #ready(config: ViewConfig): LoadedView {
    if ('builtin' in config.source) {
      const view = resolveView(builtinView(config.source.builtin));
      return { config, view, folder: inProcessFolder(view) };
    }
    if (!config.speed || !config.shape)
      throw new InvalidParameterValue(`view ${config.name} predates sandboxed speed functions: create it again`);
    const view = shapeOf({ name: config.name, ...config.shape });
    return { config, view, folder: sandboxedFolder(this.#invoker, config.speed, view) };
  }

  async #deploy(name: string, zip: Buffer, timeoutS = 300): Promise<void> {
    if (this.#functions.has(name)) await this.#functions.updateCode(name, { zip });
    else await this.#functions.create({ name, handler: 'index.handler', memoryMb: 1024, timeoutS, code: { zip } });
  }
}
