import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnv1a32 } from './text.js';
import { WordCounter } from './wasm-words.js';

/** The definition: lowercased matches of /[A-Za-z][A-Za-z0-9]*​/g. */
function reference(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of text.match(/[A-Za-z][A-Za-z0-9]*/g) ?? [])
    counts.set(m.toLowerCase(), (counts.get(m.toLowerCase()) ?? 0) + 1);
  return counts;
}

function counted(counter: WordCounter): Map<string, number> {
  const counts = new Map<string, number>();
  let badHashes = 0;
  for (const [word, count, hash] of counter.entries()) {
    if (hash !== fnv1a32(word)) badHashes++;
    counts.set(word, count);
  }
  expect(badHashes).toBe(0);
  return counts;
}

const pieces = [
  'a',
  'B',
  'z',
  'Zq',
  '9',
  '09x',
  'x9',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\v',
  '\f',
  '-',
  "'",
  'é',
  '\u0000',
  '\u00ff',
];
const long = ['abcdefghijklmnop', 'ABCDEFGHIJKLMNOPQ', 'a23456789012345678', 'Internationalization'];
const text = fc
  .array(fc.oneof(fc.constantFrom(...pieces), fc.constantFrom(...long)), { maxLength: 80 })
  .map((parts) => parts.join(''));

describe('WebAssembly word counter', () => {
  it('counts words of 1 to 40 bytes, lowercased, with digits after the first letter', () => {
    const counter = new WordCounter();
    const words = Array.from({ length: 40 }, (_, n) => 'Ab1'.repeat(14).slice(0, n + 1));
    const gap = ` ${'9'.repeat(21)}-${' '.repeat(37)}\u00e9\u00ff\u0000${'1'.repeat(40)}`; // gaps past 16 bytes
    const text = `${words.join(gap)}\n9lead x9 X9 ${words.join('\t').toUpperCase()}${gap}`;
    expect(counter.add(Buffer.from(text, 'latin1'))).toBe(83);
    expect(counted(counter)).toEqual(reference(text));
  });

  it('matches the regex definition on random text, every word length around 16, every cut', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 40 }), (s, piece) => {
        const bytes = Buffer.from(s, 'latin1');
        const counter = new WordCounter(piece); // pieces of a few bytes: cuts land next to every word
        const seen = counter.add(bytes);
        const expected = reference(s);
        expect(counted(counter)).toEqual(expected);
        expect(seen).toBe([...expected.values()].reduce((a, b) => a + b, 0));
      }),
      { numRuns: 100 },
    );
  });

  it('counts words that straddle the 64-byte windows at every offset, and words longer than a window', () => {
    const counter = new WordCounter();
    let text = '';
    for (let k = 0; k < 140; k++) text += `${' '.repeat(k % 67)}Straddling${'x'.repeat(k % 23)}${k}\n`;
    text += `${'Q'.repeat(200)} ${'w9'.repeat(70)}\n`;
    counter.add(Buffer.from(text, 'latin1'));
    expect(counted(counter)).toEqual(reference(text));
  });

  it('adds up across calls and drains a table that fills up past 65,536 distinct words', () => {
    const counter = new WordCounter();
    const words = Array.from({ length: 150_000 }, (_, i) => `w${i.toString(36)}`);
    const lines = `${words.join(' ')}\n`;
    counter.add(Buffer.from(lines));
    counter.add(Buffer.from(lines.toUpperCase()));
    expect(counter.size).toBe(150_000);
    const counts = counted(counter);
    expect(counts.size).toBe(150_000);
    expect([...counts.values()].every((n) => n === 2)).toBe(true);
  });

  it('counts words of several MiB (over the kernel input area), split across its pieces, with their FNV-1a hash', () => {
    const MiB = 1024 * 1024;
    const huge = `99${'Ab9'.repeat(MiB)}`; // 3 MiB + 2: leading digits are no part of the word
    const digits = '7'.repeat(3 * MiB); // a run with no letter is no word
    const text = `one ${huge} two\n${digits} three ${'zZ'.repeat(MiB / 2 + 3)}`;
    const counter = new WordCounter(); // pieces of 1 MiB: the long runs span several
    const seen = counter.add(Buffer.from(text, 'latin1'));
    counter.add(Buffer.from(`${huge.toUpperCase()}\n`, 'latin1'), 0, huge.length); // ends at the slice end
    const expected = reference(text);
    expected.set(huge.slice(2).toLowerCase(), 2);
    expect(seen).toBe(5);
    expect(counted(counter)).toEqual(expected);
  });
});
