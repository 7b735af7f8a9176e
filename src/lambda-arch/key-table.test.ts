import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyTable } from './key-table.js';

describe('key table', () => {
  it('holds the same counts as a Map over the same slices, through growth (property, seeded)', () => {
    const sum = (a: unknown, b: unknown) => (a as number) + (b as number);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.nat(12), fc.nat(12)), { maxLength: 2000 }),
        (adds) => {
          const table = new KeyTable();
          const map = new Map<string, number>();
          for (const [text, a, b] of adds) {
            const start = Math.min(a, b, text.length);
            const end = Math.min(Math.max(a, b), text.length);
            table.add(text, start, end, 1, sum);
            const key = text.slice(start, end);
            map.set(key, (map.get(key) ?? 0) + 1);
          }
          expect(table.size).toBe(map.size);
          expect(new Map(table.entries())).toEqual(map);
        },
      ),
      { seed: 20261207, numRuns: 300 },
    );
  });
});
