/**
 * Turns a view module into the batch layer's mapper and reducer (the Lambda Architecture's batch
 * job), and into the speed layer's folder (a user view's code runs only in these functions, never
 * in the engine). The mapper reads master-dataset objects (gzip JSON lines), keeps events with
 * `params.from ≤ time < params.horizon`, folds each event's contributions per (key, bucket) with
 * the view's monoid (src/lambda-arch/line-fold.ts) and writes `[[key, bucket], state]` lines: one
 * object per task for the engine to merge, or (a job with a shuffle, for views created before)
 * partitions that the reducer merges with the monoid and writes sorted.
 */
import { LineFolder } from '../../src/lambda-arch/line-fold.js';
import {
  foldEvents,
  resolveView,
  type TimedEvent,
  type ViewFold,
  type ViewModule,
} from '../../src/lambda-arch/view-module.js';
import { runMap } from './mapper.js';
import { readObject, writeObject } from './object-io.js';
import type { MapEvent, MapResult, ReduceEvent, ReduceResult } from './protocol.js';
import { countText, fnv1a32 } from './text.js';

/** The params the coordinator passes to every view mapper. */
export interface ViewJobParams {
  from: number;
  horizon: number;
  timeField: string;
  /**
   * Where a job without a shuffle has each map task write its states (one object per attempt,
   * named in the task's result); the engine merges them, with no reduce stage.
   */
  output?: { bucket: string; prefix: string };
}

/** What a view mapper's task answers in its result's `custom` (summed over tasks by the jobs engine). */
export interface ViewMapCustom {
  events: number;
  errors: number;
  /** Without a shuffle: the object each task wrote its states to, by task id. */
  outputs?: Record<string, string>;
}

/** What the speed layer sends a view's folder: describe the view, or fold a batch of events. */
export type SpeedRequest = { describe: true } | { events: TimedEvent[] };

/** A view as its folder describes it: the engine stores this instead of loading the module. */
export interface ViewDescription {
  name: string;
  granularity: string;
  /** The built-in monoid's name; the engine refuses views whose monoid is not built in. */
  monoid: string;
  builtinMonoid: boolean;
}

/**
 * The Lambda handler that folds a batch of events with `module` for the speed layer: its keys,
 * values and monoid merges run here, in the function's sandbox; the engine gets back one
 * `[key, bucket, state]` per distinct (key, bucket) and merges those with the built-in monoid.
 */
export function viewSpeed(module: Partial<ViewModule>) {
  const view = resolveView(module);
  return async (event: SpeedRequest): Promise<ViewFold | ViewDescription> => {
    if ('describe' in event)
      return {
        name: view.name,
        granularity: view.granularity,
        monoid: view.monoid.name,
        builtinMonoid: typeof module.monoid === 'string',
      };
    if (!Array.isArray(event.events)) throw new TypeError('a speed request needs events or describe');
    return foldEvents(view, event.events);
  };
}

/** The Lambda handler that maps master objects with `module`. */
export function viewMapper(module: Partial<ViewModule>) {
  const view = resolveView(module);
  return async (event: MapEvent, context: { getRemainingTimeInMillis(): number }): Promise<MapResult> => {
    const { from, horizon, timeField, output } = event.params as unknown as ViewJobParams;
    const folder = new LineFolder(view, { from, horizon, timeField });
    const run = await runMap(event, context, (bytes, start, end) => {
      folder.fold(bytes, start, end);
      return countText(bytes, start, end);
    });
    const acc = folder.accumulator;
    const { events, errors } = folder;
    const shuffle = event.shuffle;
    const custom: ViewMapCustom = { events, errors };
    if (shuffle) {
      const parts: string[][] = Array.from({ length: shuffle.partitions }, () => []);
      for (const [key, bucket, state] of acc.tuples()) {
        const id = JSON.stringify([key, bucket]);
        parts[fnv1a32(id) % shuffle.partitions]?.push(stateLine(id, state));
      }
      const keys = parts.map(
        (_, r) => `${shuffle.prefix}map/${event.taskId}-a${event.attempt}/part-${String(r).padStart(5, '0')}`,
      );
      await Promise.all(parts.map((lines, r) => writeObject(shuffle.bucket, keys[r] as string, lines.join(''))));
      return { taskId: event.taskId, ...run, partitions: keys, custom };
    }
    if (!output) throw new Error('a view mapper needs a shuffle or params.output');
    const lines: string[] = [];
    for (const [key, bucket, state] of acc.tuples()) lines.push(stateLine(JSON.stringify([key, bucket]), state));
    const key = `${output.prefix}map/${event.taskId}-a${event.attempt}`;
    await writeObject(output.bucket, key, lines.join(''));
    return { taskId: event.taskId, ...run, custom: { ...custom, outputs: { [event.taskId]: key } } };
  };
}

/** One `[[key, bucket], state]` line of a mapper's or reducer's output; `id` is `[key, bucket]` as JSON. */
function stateLine(id: string, state: unknown): string {
  return `[${id},${JSON.stringify(state)}]\n`;
}

/** The Lambda handler that merges one partition's states with `module`'s monoid. */
export function viewReducer(module: Partial<ViewModule>) {
  const view = resolveView(module);
  return async (event: ReduceEvent): Promise<ReduceResult> => {
    const merged = new Map<string, unknown>();
    for (const key of event.inputs) {
      const text = Buffer.from(await readObject(event.bucket, key)).toString('utf8');
      for (const line of text.split('\n')) {
        if (!line) continue;
        const [id, state] = JSON.parse(line) as [[string, number], unknown];
        const k = JSON.stringify(id);
        merged.set(k, merged.has(k) ? view.monoid.merge(merged.get(k), state) : state);
      }
    }
    const ids = [...merged.keys()].sort();
    await writeObject(event.bucket, event.outputKey, ids.map((id) => stateLine(id, merged.get(id))).join(''));
    return { partition: event.partition, distinct: ids.length, words: 0, top: [], outputKey: event.outputKey };
  };
}
