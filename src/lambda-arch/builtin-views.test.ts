import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { wordsOf } from './builtin-views.js';

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
