/**
 * The views: their configuration in SQLite, their modules loaded in the engine, and their batch
 * functions deployed in the function registry.
 */
import { join } from 'node:path';
import type { FunctionRegistry } from '../invoke/index.js';
import type { EngineContext } from '../shared/context.js';
import { InvalidParameterValue, ResourceConflict } from '../shared/errors.js';
import { ViewNotFound } from './errors.js';
import { NAME } from './master-dataset.js';
import type { ViewConfig, ViewSource } from './types.js';
import { type ResolvedView, resolveView } from './view-module.js';
import { bundleViewModule, loadViewModule, packageView } from './view-packages.js';

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

/** A view ready for use. */
export interface LoadedView {
  config: ViewConfig;
  view: ResolvedView;
}

const DEFAULT_GENERATIONS = 3;

/** Views by name. */
export class ViewCatalog {
  #context: EngineContext;
  #functions: FunctionRegistry;
  #loaded = new Map<string, LoadedView>();
  #sql;

  constructor(context: EngineContext, functions: FunctionRegistry) {
    this.#context = context;
    this.#functions = functions;
    const db = context.db;
    this.#sql = {
      all: db.prepare<[], { name: string; config: string }>('SELECT name, config FROM la_views ORDER BY name'),
      insert: db.prepare('INSERT INTO la_views (name, config, created_at) VALUES (?, ?, ?)'),
    };
  }

  /** Loads every view's module (at start). A view whose module no longer loads is logged and left out. */
  async load(): Promise<void> {
    for (const row of this.#sql.all.all()) {
      const config = JSON.parse(row.config) as ViewConfig;
      try {
        const module = await loadViewModule(config.source, config.bundle);
        this.#loaded.set(config.name, { config, view: resolveView(module) });
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
    const bundle =
      'code' in source
        ? await bundleViewModule(source.code, join(this.#context.dataDir, 'views', input.name))
        : undefined;
    const module = await loadViewModule(source, bundle);
    const config: ViewConfig = {
      name: input.name,
      dataset: input.dataset,
      source,
      generations,
      ...(every !== undefined ? { recomputeEvery: every } : {}),
      bundle,
      mapper: `view-${input.name}-map`,
      reducer: `view-${input.name}-reduce`,
    };
    const packages = await packageView(source);
    await this.#deploy(config.mapper, packages.mapperZip);
    await this.#deploy(config.reducer, packages.reducerZip);
    return { config, view: resolveView(module) };
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

  async #deploy(name: string, zip: Buffer): Promise<void> {
    if (this.#functions.has(name)) await this.#functions.updateCode(name, { zip });
    else await this.#functions.create({ name, handler: 'index.handler', memoryMb: 1024, timeoutS: 300, code: { zip } });
  }
}
