import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addCounts, countText, countWords, fnv1a32 } from '../../functions/lib/text.js';
import { WordTable } from '../../functions/lib/word-table.js';
import { encodeBgzip, parseBgzipIndex } from './bgzip.js';
import { lineStartAtOrAfter, ownedRange, ownedRangeInMemory, planRanges } from './splits.js';

const pieces = ['a', 'bc', ' ', '\t', '\n', '\r\n', 'é', '日本', '😀', 'x'.repeat(40), '  \n\n', 'Word9 ', '\v\f'];
const text = fc
  .array(fc.constantFrom(...pieces), { maxLength: 60 })
  .map((parts) => Buffer.from(parts.join(''), 'utf8'));

/** Lines of one pass: each line keeps its terminator; a final unterminated line counts. */
function linesOf(bytes: Uint8Array): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      out.push(Buffer.from(bytes.subarray(start, i + 1)).toString('latin1'));
      start = i + 1;
    }
  }
  if (start < bytes.length) out.push(Buffer.from(bytes.subarray(start)).toString('latin1'));
  return out;
}

describe('splits', () => {
  it('the owned ranges of all splits give exactly the lines of one pass, for any split size', async () => {
    await fc.assert(
      fc.asyncProperty(
        text,
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 1, max: 50 }),
        async (bytes, size, chunk) => {
          const splitSize = Math.min(size, Math.max(1, bytes.length));
          const read = async (a: number, b: number) => bytes.subarray(a, Math.min(b, bytes.length));
          const owned: Uint8Array[] = [];
          const counts = { words: 0, lines: 0, bytes: 0 };
          let next = 0;
          for (const range of planRanges(bytes.length, splitSize)) {
            const r = await ownedRange(read, bytes.length, range, chunk);
            expect(r).toEqual(ownedRangeInMemory(bytes, range));
            if (r.start === r.end) continue;
            expect(r.start).toBe(next); // contiguous: nothing lost, nothing twice
            next = r.end;
            owned.push(bytes.subarray(r.start, r.end));
            addCounts(counts, countText(bytes, r.start, r.end));
          }
          expect(next).toBe(bytes.length);
          expect(owned.flatMap(linesOf)).toEqual(linesOf(bytes));
          expect(counts).toEqual(countText(bytes));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('handles empty objects, no trailing newline, CRLF and lines longer than a split', async () => {
    expect(planRanges(0, 10)).toEqual([]);
    // A short tail joins the range before it; a long one stands alone.
    expect(planRanges(192 + 3, 64)).toEqual([
      { start: 0, end: 64 },
      { start: 64, end: 128 },
      { start: 128, end: 195 },
    ]);
    expect(planRanges(128 + 10, 64)).toEqual([
      { start: 0, end: 64 },
      { start: 64, end: 128 },
      { start: 128, end: 138 },
    ]);
    expect(planRanges(5, 16)).toEqual([{ start: 0, end: 5 }]);
    const bytes = Buffer.from('a very long first line\r\nb\nlast');
    const read = async (a: number, b: number) => bytes.subarray(a, b);
    expect(await ownedRange(read, bytes.length, { start: 0, end: 3 })).toEqual({ start: 0, end: 24 });
    expect(await ownedRange(read, bytes.length, { start: 3, end: 6 })).toEqual({ start: 24, end: 24 });
    expect(await ownedRange(read, bytes.length, { start: 24, end: 27 })).toEqual({ start: 24, end: bytes.length });
    expect(await ownedRange(read, bytes.length, { start: 27, end: bytes.length })).toEqual({
      start: bytes.length,
      end: bytes.length,
    });
    expect(await lineStartAtOrAfter(read, bytes.length, 24)).toBe(24);
  });
});

describe('counting', () => {
  it('counts words like wc -w and lines including a final unterminated one', () => {
    expect(countText(Buffer.from(' hello  wörld\tfoo\r\nbar'))).toEqual({ words: 4, lines: 2, bytes: 23 });
    expect(countText(Buffer.from(''))).toEqual({ words: 0, lines: 0, bytes: 0 });
    expect(countText(Buffer.from('\n\n'))).toEqual({ words: 0, lines: 2, bytes: 2 });
  });

  it('wordfreq words are the lowercased matches of [A-Za-z][A-Za-z0-9]*', () => {
    fc.assert(
      fc.property(text, (bytes) => {
        const freq = new Map<string, number>();
        countWords(bytes, freq);
        const expected = new Map<string, number>();
        for (const m of bytes.toString('latin1').match(/[A-Za-z][A-Za-z0-9]*/g) ?? [])
          expected.set(m.toLowerCase(), (expected.get(m.toLowerCase()) ?? 0) + 1);
        expect(freq).toEqual(expected);
      }),
    );
  });

  it('the word table hashes each word with FNV-1a 32 of its lowercased UTF-8 bytes', () => {
    fc.assert(
      fc.property(text, (bytes) => {
        const table = new WordTable();
        countWords(bytes, table);
        for (const [word, , hash] of table.entries()) expect(hash).toBe(fnv1a32(word));
      }),
    );
    expect(fnv1a32('a')).toBe(0xe40c292c); // the published FNV-1a 32 test vector
  });
});

describe('bgzip', () => {
  it('members hold whole lines, gunzip reads the whole object, and the index locates each member', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 64 }), (bytes, block) => {
        const { data, index } = encodeBgzip(bytes, block);
        expect(Buffer.from(gunzipSync(data)).equals(bytes)).toBe(true);
        const parsed = parseBgzipIndex(JSON.stringify(index));
        let raw = 0;
        for (const m of parsed.members) {
          const member = gunzipSync(data.subarray(m.offset, m.offset + m.length));
          expect(member.equals(bytes.subarray(m.rawOffset, m.rawOffset + m.rawLength))).toBe(true);
          expect(m.rawOffset).toBe(raw);
          raw += m.rawLength;
          if (m.rawOffset + m.rawLength < bytes.length) expect(member[member.length - 1]).toBe(0x0a);
        }
        expect(raw).toBe(bytes.length);
      }),
    );
  });
});
