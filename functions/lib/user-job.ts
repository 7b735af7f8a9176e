/**
 * Turns a user's job module into a mapper and a reducer (what `lambdata run ./myjob.ts` deploys).
 * The module exports `map(line, emit)`, and optionally `combine(a, b)` (map-side, associative;
 * default: numeric sum) and `reduce(key, values)` (default: fold with combine). Mappers combine
 * their emits per key and shuffle them into R partitions by FNV-1a 32 of the key; reducers write
 * sorted `[key, value]` JSON lines, in bounded memory (./external-reduce.ts).
 */
import { type ReduceFold, reducePartition } from './external-reduce.js';
import { answerWithin, type ResultReference } from './large-result.js';
import { runMap } from './mapper.js';
import { writeObject } from './object-io.js';
import type { MapEvent, MapResult, ReduceEvent, ReduceResult } from './protocol.js';
import { countText, fnv1a32 } from './text.js';
import { TopCounts } from './top-counts.js';

/** What a user job module exports. */
export interface UserJob {
  map(line: string, emit: (key: string, value: unknown) => void): void;
  combine?(a: unknown, b: unknown): unknown;
  reduce?(key: string, values: unknown[]): unknown;
}

/** The Lambda handler that maps with `job`. */
export function mapperFor(job: UserJob) {
  const combine = job.combine ?? sum;
  return async (
    event: MapEvent,
    context: { getRemainingTimeInMillis(): number },
  ): Promise<MapResult | ResultReference> => {
    const acc = new Map<string, unknown>();
    const emit = (key: string, value: unknown) => {
      const k = String(key);
      acc.set(k, acc.has(k) ? combine(acc.get(k), value) : value);
    };
    const run = await runMap(event, context, (bytes, from, to) => {
      const lines = Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from)
        .toString('utf8')
        .split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      for (const line of lines) job.map(line.endsWith('\r') ? line.slice(0, -1) : line, emit);
      return countText(bytes, from, to);
    });
    const shuffle = event.shuffle;
    if (!shuffle)
      return answerWithin(
        { taskId: event.taskId, ...run, custom: Object.fromEntries(acc) },
        event.results,
        event.taskId,
        event.attempt,
      );
    const parts: string[][] = Array.from({ length: shuffle.partitions }, () => []);
    for (const [key, value] of acc) parts[fnv1a32(key) % shuffle.partitions]?.push(`${JSON.stringify([key, value])}\n`);
    const keys = parts.map(
      (_, r) => `${shuffle.prefix}map/${event.taskId}-a${event.attempt}/part-${String(r).padStart(5, '0')}`,
    );
    await Promise.all(parts.map((lines, r) => writeObject(shuffle.bucket, keys[r] as string, lines.join(''))));
    return { taskId: event.taskId, ...run, partitions: keys };
  };
}

/**
 * The Lambda handler that reduces one partition with `job`: with a `reduce`, a key's values are
 * gathered (spilled runs keep the lists) and reduced once; without, they fold with `combine`.
 */
export function reducerFor(job: UserJob) {
  const combine = job.combine ?? sum;
  const parse = (line: string): [string, unknown] | null => (line ? (JSON.parse(line) as [string, unknown]) : null);
  const userReduce = job.reduce;
  // The output line and the reported figures both need a key's reduced value: reduce it once.
  let last: { key: string; value: unknown } | undefined;
  const reduce = userReduce
    ? (key: string, values: unknown[]) => {
        if (last?.key !== key) last = { key, value: userReduce(key, values) };
        return last.value;
      }
    : undefined;
  const fold: ReduceFold<unknown, unknown> = reduce
    ? {
        parse,
        add: (state, value) => [...((state as unknown[] | undefined) ?? []), value],
        merge: (a, b) => [...(a as unknown[]), ...(b as unknown[])],
        format: (key, values) => `${JSON.stringify([key, reduce(key, values as unknown[])])}\n`,
        fixedSize: false,
      }
    : {
        parse,
        add: (state, value) => (state === undefined ? value : combine(state, value)),
        merge: (a, b) => combine(a, b),
        format: (key, value) => `${JSON.stringify([key, value])}\n`,
        fixedSize: true,
      };
  return async (event: ReduceEvent): Promise<ReduceResult | ResultReference> => {
    last = undefined;
    const top = new TopCounts();
    let words = 0;
    const stats = await reducePartition(event, fold, (key, state) => {
      const value = reduce ? reduce(key, state as unknown[]) : state;
      if (typeof value !== 'number') return;
      words += value;
      top.offer(key, value);
    });
    const result: ReduceResult = {
      partition: event.partition,
      distinct: stats.distinct,
      words,
      top: top.list(),
      outputKey: event.outputKey,
      spilledRuns: stats.spilledRuns,
      spilledBytes: stats.spilledBytes,
    };
    return answerWithin(result, event.results, `r${event.partition}`, event.attempt ?? 1);
  };
}

function sum(a: unknown, b: unknown): unknown {
  return Number(a) + Number(b);
}
