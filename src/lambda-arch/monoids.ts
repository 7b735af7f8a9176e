/**
 * Monoids: how a view folds values. Each has a zero, lifts one event's value into a state, and
 * merges two states associatively; states are plain JSON so they travel between functions, SQLite
 * and HTTP. `result` turns a state into the value a query answers with.
 */
import { decodeRegisters, encodeRegisters, estimate, mergeRegisters, registerOf } from './hyperloglog.js';

/** A monoid over JSON states. */
export interface Monoid<S = unknown> {
  readonly name: string;
  zero(): S;
  lift(value: unknown): S;
  merge(a: S, b: S): S;
  result(state: S): unknown;
  /** True when states are numbers merged by addition (SQL can total them). */
  readonly additive?: boolean;
}

const count: Monoid<number> = {
  name: 'count',
  additive: true,
  zero: () => 0,
  lift: () => 1,
  merge: (a, b) => a + b,
  result: (s) => s,
};

const sum: Monoid<number> = {
  name: 'sum',
  additive: true,
  zero: () => 0,
  lift: (v) => toNumber(v),
  merge: (a, b) => a + b,
  result: (s) => s,
};

const min: Monoid<number | null> = {
  name: 'min',
  zero: () => null,
  lift: (v) => toNumber(v),
  merge: (a, b) => (a === null ? b : b === null ? a : Math.min(a, b)),
  result: (s) => s,
};

const max: Monoid<number | null> = {
  name: 'max',
  zero: () => null,
  lift: (v) => toNumber(v),
  merge: (a, b) => (a === null ? b : b === null ? a : Math.max(a, b)),
  result: (s) => s,
};

/** [sum, count]; the result is their quotient (null when empty). */
const average: Monoid<[number, number]> = {
  name: 'average',
  zero: () => [0, 0],
  lift: (v) => [toNumber(v), 1],
  merge: (a, b) => [a[0] + b[0], a[1] + b[1]],
  result: (s) => (s[1] === 0 ? null : s[0] / s[1]),
};

/** A HyperLogLog sketch (see hyperloglog.ts) or null when empty; the result is the estimated distinct count. */
const distinct: Monoid<string | null> = {
  name: 'distinct',
  zero: () => null,
  lift: (v) => {
    const [index, rank] = registerOf(v);
    return `~${index}:${rank}`;
  },
  merge: (a, b) =>
    a === null ? b : b === null ? a : encodeRegisters(mergeRegisters(decodeRegisters(a), decodeRegisters(b))),
  result: (s) => (s === null ? 0 : estimate(decodeRegisters(s))),
};

/**
 * Top-K: exact counts per item (so merging stays associative and exact); the result is the K most
 * frequent items, ties by item.
 */
export function topK(k = 10): Monoid<Record<string, number>> {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`top-K needs a positive integer K, not ${k}`);
  return {
    name: `top-${k}`,
    zero: () => ({}),
    lift: (v) => ({ [String(v)]: 1 }),
    merge: (a, b) => {
      const out = { ...a };
      for (const [item, n] of Object.entries(b)) out[item] = (out[item] ?? 0) + n;
      return out;
    },
    result: (s) =>
      Object.entries(s)
        .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
        .slice(0, k),
  };
}

/** The built-in monoids by name (`top-K` is built by `topK`). */
export const MONOIDS = { count, sum, min, max, average, distinct } as const;
export type MonoidName = keyof typeof MONOIDS;

/** The monoid a name stands for: a built-in name or `top-<K>`. @throws RangeError for an unknown name. */
export function monoidByName(name: string): Monoid {
  if (name in MONOIDS) return MONOIDS[name as MonoidName] as Monoid;
  const top = /^top-(\d+)$/.exec(name);
  if (top) return topK(Number(top[1])) as Monoid;
  throw new RangeError(`unknown monoid ${name} (use ${Object.keys(MONOIDS).join(', ')} or top-K)`);
}

function toNumber(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new TypeError(`value ${JSON.stringify(v)} is not a finite number`);
  return n;
}
