/**
 * Turns a user's job module into a mapper and a reducer (what `lambdata run ./myjob.ts` deploys).
 * The module exports `map(line, emit)`, and optionally `combine(a, b)` (map-side, associative;
 * default: numeric sum) and `reduce(key, values)` (default: fold with combine). Mappers combine
 * their emits per key and shuffle them into R partitions by FNV-1a 32 of the key; reducers write
 * sorted `[key, value]` JSON lines.
 */
import { runMap } from './mapper.js';
import { readObject, writeObject } from './object-io.js';
import type { MapEvent, MapResult, ReduceEvent, ReduceResult } from './protocol.js';
import { countText, fnv1a32 } from './text.js';

/** What a user job module exports. */
export interface UserJob {
  map(line: string, emit: (key: string, value: unknown) => void): void;
  combine?(a: unknown, b: unknown): unknown;
  reduce?(key: string, values: unknown[]): unknown;
}

const TOP = 20;

/** The Lambda handler that maps with `job`. */
export function mapperFor(job: UserJob) {
  const combine = job.combine ?? sum;
  return async (event: MapEvent, context: { getRemainingTimeInMillis(): number }): Promise<MapResult> => {
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
    if (!shuffle) return { taskId: event.taskId, ...run, custom: Object.fromEntries(acc) };
    const parts: string[][] = Array.from({ length: shuffle.partitions }, () => []);
    for (const [key, value] of acc) parts[fnv1a32(key) % shuffle.partitions]?.push(`${JSON.stringify([key, value])}\n`);
    const keys = parts.map(
      (_, r) => `${shuffle.prefix}map/${event.taskId}-a${event.attempt}/part-${String(r).padStart(5, '0')}`,
    );
    await Promise.all(parts.map((lines, r) => writeObject(shuffle.bucket, keys[r] as string, lines.join(''))));
    return { taskId: event.taskId, ...run, partitions: keys };
  };
}

/** The Lambda handler that reduces one partition with `job`. */
export function reducerFor(job: UserJob) {
  const combine = job.combine ?? sum;
  const reduce = job.reduce ?? ((_key: string, values: unknown[]) => values.reduce((a, b) => combine(a, b)));
  return async (event: ReduceEvent): Promise<ReduceResult> => {
    const groups = new Map<string, unknown[]>();
    for (const key of event.inputs) {
      const text = Buffer.from(await readObject(event.bucket, key)).toString('utf8');
      for (const line of text.split('\n')) {
        if (!line) continue;
        const [k, v] = JSON.parse(line) as [string, unknown];
        const list = groups.get(k);
        if (list) list.push(v);
        else groups.set(k, [v]);
      }
    }
    const out: Array<[string, unknown]> = [...groups.keys()]
      .sort()
      .map((k) => [k, reduce(k, groups.get(k) as unknown[])]);
    await writeObject(event.bucket, event.outputKey, out.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const numeric = out.filter((e): e is [string, number] => typeof e[1] === 'number');
    const top = numeric.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, TOP);
    return {
      partition: event.partition,
      distinct: out.length,
      words: numeric.reduce((n, e) => n + e[1], 0),
      top,
      outputKey: event.outputKey,
    };
  };
}

function sum(a: unknown, b: unknown): unknown {
  return Number(a) + Number(b);
}
