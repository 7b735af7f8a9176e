import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addNumbers, compareNumbers, normalizeNumber, sortableNumber, subtractNumbers } from './numbers.js';

describe('numbers', () => {
  it('normalizes and adds exactly', () => {
    expect(normalizeNumber('001.500')).toBe('1.5');
    expect(normalizeNumber('-0.0')).toBe('0');
    expect(normalizeNumber('1e3')).toBe('1000');
    expect(normalizeNumber('12.5e-3')).toBe('0.0125');
    expect(addNumbers('0.1', '0.2')).toBe('0.3');
    expect(addNumbers('99999999999999999999', '1')).toBe('100000000000000000000');
    expect(subtractNumbers('1', '1.25')).toBe('-0.25');
  });

  it('sortable encoding orders like the numbers', () => {
    const decimal = fc
      .tuple(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.integer({ min: 0, max: 6 }))
      .map(([n, scale]) => ({ text: (n / 10 ** scale).toFixed(scale), value: n / 10 ** scale }));
    fc.assert(
      fc.property(decimal, decimal, (a, b) => {
        const byKey = Math.sign(
          sortableNumber(a.text) < sortableNumber(b.text)
            ? -1
            : sortableNumber(a.text) > sortableNumber(b.text)
              ? 1
              : 0,
        );
        expect(byKey).toBe(Math.sign(a.value - b.value));
        expect(Math.sign(compareNumbers(a.text, b.text))).toBe(Math.sign(a.value - b.value));
      }),
    );
  });
});
