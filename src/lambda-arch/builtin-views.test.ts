import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_VIEWS, wordsOf } from './builtin-views.js';
import { resolveView, ViewAccumulator } from './view-module.js';

/** The definition wordsOf's ASCII scan must match: the one regular expression over the lower-cased text. */
function byRegex(text: string): string[] {
  const words: string[] = [];
  for (const match of text.toLowerCase().matchAll(/(?<=^|\s)(?:http|@)\S*|([\p{L}\p{N}][\p{L}\p{N}'_-]*)/gu))
    if (match[1] !== undefined) words.push(match[1]);
  return words;
}

describe('words of a tweet', () => {
  it('skips links and mentions that follow whitespace, keeps the rest', () => {
    expect(wordsOf("RT @Someone: Don't-stop http://t.co/x HTTPS://A.b x@y xhttp 2026's_best\tend @")).toEqual([
      'rt',
      "don't-stop",
      'x',
      'y',
      'xhttp',
      "2026's_best",
      'end',
    ]);
    expect(wordsOf('Été à Zürich, naïve café')).toEqual(['été', 'à', 'zürich', 'naïve', 'café']);
    expect(wordsOf(42)).toEqual([]);
  });

  it('equals the regular expression on any text, ASCII or not (property, seeded)', () => {
    const ascii = fc.string({
      unit: fc.constantFrom(..."ab Z9@h t p : / ' _ - . \t\n\u000b".split(''), 'http', 'HTTP', '@x', ' http'),
      maxLength: 40,
    });
    const any = fc.string({ unit: 'grapheme', maxLength: 30 });
    fc.assert(
      fc.property(
        fc.oneof(
          ascii,
          any,
          fc.tuple(ascii, any).map(([a, b]) => a + b),
        ),
        (text) => {
          expect(wordsOf(text)).toEqual(byRegex(text));
        },
      ),
      { seed: 20261207, numRuns: 5000 },
    );
  });
});

describe('word counts folded through the key table', () => {
  it('equal the counts folded from wordsOf per (word, hour), on any texts and times (property, seeded)', () => {
    const module = BUILTIN_VIEWS['word-count-hourly'];
    if (!module) throw new Error('word-count-hourly is built in');
    const tabled = resolveView(module);
    const { keysInto: _, ...plain } = module;
    const mapped = resolveView(plain);
    expect(tabled.keysInto).toBeTypeOf('function');
    expect(mapped.keysInto).toBeUndefined();
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'the a b ab ba http @x é É Z 9 - _'.split(' '), ' ', '\t'), maxLength: 60 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.constant(42),
    );
    const event = fc.record({ text, time: fc.integer({ min: 0, max: 5 * 3_600_000 }) });
    const sorted = (acc: ViewAccumulator) =>
      [...acc.tuples()].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1]));
    fc.assert(
      fc.property(fc.array(event, { maxLength: 300 }), (events) => {
        const a = new ViewAccumulator(tabled);
        const b = new ViewAccumulator(mapped);
        for (const e of events) {
          a.add({ text: e.text }, e.time);
          b.add({ text: e.text }, e.time);
        }
        expect(sorted(a)).toEqual(sorted(b));
      }),
      { seed: 20261207, numRuns: 500 },
    );
  });
});
