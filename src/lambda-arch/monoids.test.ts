import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MONOIDS, type Monoid, topK } from './monoids.js';

const numbers = fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 30 });

// biome-ignore lint/suspicious/noExplicitAny: each monoid reads its own state shape
function fold(m: Monoid<any>, values: unknown[]): any {
  return values.map((v) => m.lift(v)).reduce((a, b) => m.merge(a, b), m.zero());
}

describe('monoids', () => {
  const all = [
    MONOIDS.count,
    MONOIDS.sum,
    MONOIDS.min,
    MONOIDS.max,
    MONOIDS.average,
    MONOIDS.distinct,
    topK(3),
  ] as Monoid[];
  for (const m of all) {
    it(`${m.name}: any split of the values merges to the one-pass state, through JSON`, () => {
      fc.assert(
        fc.property(numbers, fc.nat(), (values, at) => {
          const cut = values.length === 0 ? 0 : at % (values.length + 1);
          const left = JSON.parse(JSON.stringify(fold(m, values.slice(0, cut))));
          const right = JSON.parse(JSON.stringify(fold(m, values.slice(cut))));
          expect(m.merge(left, right)).toEqual(fold(m, values));
          expect(m.merge(m.zero(), left)).toEqual(left);
        }),
        { seed: 12, numRuns: 60 },
      );
    });
  }

  it('answers count, sum, min, max, average and top-K exactly', () => {
    const values = [3, 1, 4, 1, 5, 9, 2, 6];
    expect(MONOIDS.count.result(fold(MONOIDS.count, values))).toBe(8);
    expect(MONOIDS.sum.result(fold(MONOIDS.sum, values))).toBe(31);
    expect(MONOIDS.min.result(fold(MONOIDS.min, values))).toBe(1);
    expect(MONOIDS.max.result(fold(MONOIDS.max, values))).toBe(9);
    expect(MONOIDS.average.result(fold(MONOIDS.average, values))).toBe(31 / 8);
    expect(topK(2).result(fold(topK(2), ['a', 'b', 'a', 'c', 'b', 'a']))).toEqual([
      ['a', 3],
      ['b', 2],
    ]);
  });

  it('estimates distinct counts within 3% and merges as a union', () => {
    const d = MONOIDS.distinct as Monoid;
    const a = fold(
      d,
      Array.from({ length: 20_000 }, (_, i) => `user-${i}`),
    );
    const b = fold(
      d,
      Array.from({ length: 20_000 }, (_, i) => `user-${i + 10_000}`),
    );
    expect(Math.abs((d.result(a) as number) - 20_000)).toBeLessThan(600);
    expect(Math.abs((d.result(d.merge(a, b)) as number) - 30_000)).toBeLessThan(900);
    expect(d.result(fold(d, ['x', 'y', 'x']))).toBe(2);
  });
});
