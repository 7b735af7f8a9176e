import type { Engine } from '../engine.js';

/** The Lambda Architecture demo's names. */
export const VIEWS_DEMO = {
  stream: 'tweets',
  dataset: 'tweets-master',
  view: 'word-counts',
  collectSchedule: 'collect-tweets',
} as const;

/** Synthetic tweets per second outside bursts. */
const RATE = 25;
const SHARDS = 2;
/** The view's batch layer catches up (incrementally) this often. */
const RECOMPUTE_EVERY_S = 60;
const HOUR = 3_600_000;
const HISTORY_HOURS = 3;
/** Tweets per second of the history loaded on the first start (3 h × 2/s = 21,600 tweets). */
const HISTORY_RATE = 2;

/**
 * Wires the Lambda Architecture demo for `npm start`: a `tweets` stream fed by the collector every
 * minute (and once right away, with three hours of history on the first start), a master dataset
 * archiving it, and the built-in word-count view, recomputed incrementally every minute. Everything
 * already present is left alone, so a restart is cheap; the caller deploys the built-in functions.
 */
export async function seedViewsDemo(engine: Engine): Promise<void> {
  const { stream, dataset, view, collectSchedule } = VIEWS_DEMO;
  if (!engine.streams.hasStream(stream)) engine.streams.createStream(stream, { shardCount: SHARDS });
  const fresh = !engine.views.listDatasets().some((d) => d.name === dataset);
  if (fresh) engine.views.createDataset({ name: dataset, stream });
  if (!engine.views.listViews().some((v) => v.name === view)) {
    await engine.views.createView({
      name: view,
      dataset,
      view: 'word-count-hourly',
      recomputeEvery: RECOMPUTE_EVERY_S,
    });
  }
  const collect = JSON.stringify({ stream, rate: RATE });
  const schedules = new Set(engine.schedules.list().map((s) => s.name));
  if (!schedules.has(collectSchedule)) {
    engine.schedules.add({
      name: collectSchedule,
      expression: 'rate(1 minute)',
      functionName: 'collector',
      input: collect,
    });
  }
  if (fresh) {
    // Three hours of history, like the loader's first fetch of a timeline: the first recompute moves
    // those whole hours from the speed layer into the batch view, which the dashboard shows.
    await engine.invocations.invoke({
      functionName: 'collector',
      payload: JSON.stringify({
        stream,
        count: HISTORY_HOURS * 3600 * HISTORY_RATE,
        rate: HISTORY_RATE,
        start: Date.now() - HISTORY_HOURS * HOUR,
      }),
      invocationType: 'Event',
      trigger: 'demo',
    });
  }
  // Start the flow now instead of at the first fire: this run produces until the schedule takes over.
  const nextFire = engine.schedules.get(collectSchedule).nextFire ?? Date.now() + 60_000;
  const durationSeconds = Math.max(1, Math.floor((nextFire - Date.now()) / 1000));
  await engine.invocations.invoke({
    functionName: 'collector',
    payload: JSON.stringify({ stream, rate: RATE, durationSeconds }),
    invocationType: 'Event',
    trigger: 'demo',
  });
}
