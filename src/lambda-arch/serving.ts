/**
 * The serving layer: a query reads the batch version, its horizon B, the speed buckets and the
 * speed checkpoint in one SQLite read transaction, and answers batch(t < B) ⊕ speed(t ≥ B). Batch
 * rows and speed rows never overlap (speed keeps only buckets ≥ B, dropped in the swap's
 * transaction), so nothing counts twice and nothing falls between.
 */
import type { EngineContext } from '../shared/context.js';
import { ResourceNotFound } from '../shared/errors.js';
import type { BatchStore } from './batch-store.js';
import type { MasterDatasets } from './master-dataset.js';
import type { SpeedLayer } from './speed-layer.js';
import type { QueryAnswer, QueryOptions, TopEntry } from './types.js';
import type { LoadedView } from './view-catalog.js';

/** Bounds for open ranges (the extremes of a JS Date). */
const MIN_TIME = -8.64e15;
const MAX_TIME = 8.64e15;
const TOP = 20;

export interface ServingDeps {
  batch: BatchStore;
  speed: SpeedLayer;
  datasets: MasterDatasets;
}

/** Answers queries over views. */
export class Serving {
  #context: EngineContext;
  #deps: ServingDeps;
  #top;

  constructor(context: EngineContext, deps: ServingDeps) {
    this.#context = context;
    this.#deps = deps;
    this.#top = context.db.prepare<
      [string, number, number, string, number],
      { key: string; batch: number; speed: number }
    >(
      `SELECT key, SUM(b) AS batch, SUM(s) AS speed FROM (
         SELECT key, CAST(state AS REAL) AS b, 0 AS s FROM la_batch_rows WHERE view = ? AND version = ? AND bucket < ?
         UNION ALL
         SELECT key, 0 AS b, CAST(state AS REAL) AS s FROM la_speed WHERE view = ? AND bucket >= ?
       ) GROUP BY key ORDER BY SUM(b) + SUM(s) DESC, key LIMIT ${TOP}`,
    );
  }

  /**
   * One key's value over bucket starts in [from, to), with its batch and speed parts.
   * @throws ResourceNotFound when `version` is not kept
   */
  query(loaded: LoadedView, key: string, options: QueryOptions = {}): QueryAnswer {
    const { config, view } = loaded;
    const { batch, speed, datasets } = this.#deps;
    const monoid = view.monoid;
    return this.#context.db.transaction((): QueryAnswer => {
      const current = batch.current(config.name);
      const generation = options.version === undefined ? current : batch.generation(config.name, options.version);
      if (options.version !== undefined && !generation)
        throw new ResourceNotFound(`Batch version ${options.version} of view ${config.name} is not kept`);
      const horizon = generation?.horizon ?? 0;
      const lo = options.from ?? MIN_TIME;
      const hi = options.to ?? MAX_TIME;
      const fold = (states: unknown[]) => states.reduce((a, b) => monoid.merge(a, b), monoid.zero());
      const batchState = generation
        ? fold(batch.range(config.name, generation.version, key, lo, Math.min(hi, horizon)))
        : monoid.zero();
      // An older version's horizon is below the speed layer's: only its batch part can be answered.
      const historical = generation !== null && current !== null && generation.version !== current.version;
      const speedState = historical
        ? monoid.zero()
        : fold(speed.range(config.name, key, Math.max(lo, horizon), hi).map((r) => r.state));
      const shards = datasets.shards(config.dataset);
      const upTo = shards.length === 0 ? 0 : Math.min(...shards.map((s) => s.archivedEventTime));
      const lag = datasets.lagMs(config.dataset);
      let missing: QueryAnswer['missing'];
      if (historical && hi > horizon) {
        missing = {
          reason: 'an older batch version covers only times before its horizon',
          batchCompleteUpTo: horizon,
          speedUpTo: upTo,
        };
      } else if (options.to === undefined ? lag > 0 : hi > upTo) {
        missing = {
          reason:
            options.to === undefined
              ? `the speed layer is ${lag} ms behind the stream`
              : 'the range ends after the time every shard has been applied up to',
          batchCompleteUpTo: horizon,
          speedUpTo: upTo,
        };
      }
      return {
        view: config.name,
        key,
        from: options.from ?? null,
        to: options.to ?? null,
        value: monoid.result(monoid.merge(batchState, speedState)),
        batch: { value: monoid.result(batchState), version: generation?.version ?? null, horizon },
        speed: {
          value: monoid.result(speedState),
          from: horizon,
          upTo,
          shards: Object.fromEntries(datasets.speedPositions(config.dataset)),
        },
        complete: missing === undefined,
        ...(missing ? { missing } : {}),
      };
    })();
  }

  /** The keys with the highest totals (additive monoids only; others give none). */
  top(loaded: LoadedView): TopEntry[] {
    const { config, view } = loaded;
    if (!view.monoid.additive) return [];
    return this.#context.db.transaction(() => {
      const current = this.#deps.batch.current(config.name);
      const horizon = current?.horizon ?? 0;
      return this.#top
        .all(config.name, current?.version ?? 0, horizon, config.name, horizon)
        .map((r) => ({ key: r.key, value: r.batch + r.speed, batch: r.batch, speed: r.speed }));
    })();
  }
}
