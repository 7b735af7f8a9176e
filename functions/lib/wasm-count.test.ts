import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countText, countTextScalar } from './text.js';
import { SimdCounter } from './wasm-count.js';

/** Bytes drawn from all six ASCII whitespace bytes, letters, NUL, high bytes. */
const ALPHABET = [0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x61, 0x41, 0x30, 0x00, 0x80, 0xff, 0x1f, 0x21, 0x0e, 0x08];
const text = (maxLength: number) =>
  fc.array(fc.constantFrom(...ALPHABET), { maxLength }).map((a) => Uint8Array.from(a));

function reference(bytes: Uint8Array): { words: number; newlines: number } {
  const s = Buffer.from(bytes).toString('latin1');
  return { words: s.split(/[ \t\n\v\f\r]+/).filter(Boolean).length, newlines: s.split('\n').length - 1 };
}

describe('SIMD word counter', () => {
  it('counts words on every side of each whitespace byte', () => {
    const counter = new SimdCounter();
    for (const ws of [' ', '\t', '\n', '\v', '\f', '\r']) {
      const bytes = Buffer.from(`a${ws}bb${ws}${ws}ccc${ws}`.repeat(40));
      expect(counter.count(bytes, 0, bytes.length)).toEqual(reference(bytes));
    }
    const tricky = Buffer.from('\x08\x0e\x1f!\x00 \xff\x80'); // not whitespace: 0x08, 0x0e, 0x1f, NUL, high bytes
    expect(counter.count(tricky, 0, tricky.length)).toEqual({ words: 2, newlines: 0 });
  });

  it('matches a regex reference on random bytes, sub-ranges and every 64-byte alignment', () => {
    const counter = new SimdCounter();
    fc.assert(
      fc.property(text(400), fc.nat(), fc.nat(), (bytes, a, b) => {
        const from = bytes.length ? a % (bytes.length + 1) : 0;
        const to = from + (bytes.length - from ? b % (bytes.length - from + 1) : 0);
        expect(counter.count(bytes, from, to)).toEqual(reference(bytes.subarray(from, to)));
      }),
      { numRuns: 500 },
    );
  });

  it('does not count twice a word cut by a piece boundary', () => {
    const counter = new SimdCounter(64); // pieces of 64 bytes
    fc.assert(
      fc.property(text(700), (bytes) => {
        expect(counter.count(bytes, 0, bytes.length)).toEqual(reference(bytes));
      }),
      { numRuns: 300 },
    );
    const word = Buffer.alloc(200, 0x61); // one word across three pieces
    expect(counter.count(word, 0, word.length)).toEqual({ words: 1, newlines: 0 });
  });

  it('gives countText the counts of the scalar loop on large inputs', () => {
    fc.assert(
      fc.property(text(20000), (bytes) => {
        expect(countText(bytes)).toEqual(countTextScalar(bytes));
      }),
      { numRuns: 40 },
    );
  });
});
