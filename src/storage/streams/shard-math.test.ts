import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSequence, hashKeyOf, parseSequence } from './shard-math.js';

describe('shard math', () => {
  it('formats a counter as 49 followed by 24 digits, and parses it back', () => {
    fc.assert(
      fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), (counter) => {
        const text = formatSequence(counter);
        expect(text).toBe((49n * 10n ** 24n + BigInt(counter)).toString());
        expect(text).toHaveLength(26);
        expect(parseSequence(text)).toBe(counter);
      }),
    );
    expect(formatSequence(7n)).toBe(formatSequence(7));
  });

  it('hashes a partition key to its MD5 as an integer, the same on repeated calls', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 256 }), (key) => {
        const md5 = BigInt(`0x${createHash('md5').update(key, 'utf8').digest('hex')}`);
        expect(hashKeyOf(key)).toBe(md5);
        expect(hashKeyOf(key)).toBe(md5);
      }),
    );
  });
});
