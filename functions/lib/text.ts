import { SimdCounter } from './wasm-count.js';
import { WordTable } from './word-table.js';

/**
 * The hot loops of the built-in mappers, over bytes already in memory. Every function takes whole
 * lines (a chunk cut after a '\n', or the final unterminated line), so nothing crosses a call.
 */

/** 1 for the bytes `wc -w` treats as separators: space, \t, \n, \v, \f, \r. */
const SPACE = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]) SPACE[c] = 1;

/** Word-character classes for wordfreq: 1 letter, 2 digit, 0 anything else. */
const WORD_CLASS = new Uint8Array(256);
for (let c = 0x41; c <= 0x5a; c++) WORD_CLASS[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) WORD_CLASS[c] = 1;
for (let c = 0x30; c <= 0x39; c++) WORD_CLASS[c] = 2;

/** Words, lines and bytes of some text. */
export interface Counts {
  words: number;
  lines: number;
  bytes: number;
}

let simd: SimdCounter | null | undefined;

/** Counts wc-style words, lines (newlines, plus a final unterminated line) and bytes of whole lines. */
export function countText(bytes: Uint8Array, from = 0, to = bytes.length): Counts {
  // Small inputs skip the copy into WebAssembly memory; hosts without SIMD use the scalar loop.
  if (to - from < 4096) return countTextScalar(bytes, from, to);
  if (simd === undefined) simd = makeSimdCounter();
  if (simd === null) return countTextScalar(bytes, from, to);
  const { words, newlines } = simd.count(bytes, from, to);
  const unterminated = to > from && bytes[to - 1] !== 0x0a ? 1 : 0;
  return { words, lines: newlines + unterminated, bytes: to - from };
}

/** countText by a plain byte loop: the reference for the SIMD kernel, and its fallback. */
export function countTextScalar(bytes: Uint8Array, from = 0, to = bytes.length): Counts {
  let words = 0;
  let prevSpace = 1;
  for (let i = from; i < to; i++) {
    const space = SPACE[bytes[i] as number] as number;
    words += prevSpace & ~space;
    prevSpace = space;
  }
  // Newlines by the native search: faster than testing each byte in the loop above.
  let newlines = 0;
  for (let at = bytes.indexOf(0x0a, from); at >= 0 && at < to; at = bytes.indexOf(0x0a, at + 1)) newlines++;
  const unterminated = to > from && bytes[to - 1] !== 0x0a ? 1 : 0;
  return { words, lines: newlines + unterminated, bytes: to - from };
}

function makeSimdCounter(): SimdCounter | null {
  try {
    return new SimdCounter();
  } catch (err) {
    // WebAssembly SIMD is in every Node ≥ 16.4; without it the scalar loop gives the same counts.
    process.emitWarning(`wordcount SIMD kernel unavailable, using the scalar loop: ${(err as Error).message}`);
    return null;
  }
}

/** Adds `b` into `a`. */
export function addCounts(a: Counts, b: Counts): Counts {
  a.words += b.words;
  a.lines += b.lines;
  a.bytes += b.bytes;
  return a;
}

/**
 * Adds the lowercased `[A-Za-z][A-Za-z0-9]*` words of whole lines to `table` (or to a Map);
 * returns how many it saw. Each word is hashed with FNV-1a 32 over its lowercased bytes as it is scanned.
 */
export function countWords(
  bytes: Uint8Array,
  table: WordTable | Map<string, number>,
  from = 0,
  to = bytes.length,
): number {
  const words = table instanceof Map ? new WordTable() : table;
  let seen = 0;
  let i = from;
  while (i < to) {
    // Words are the matches of /[A-Za-z][A-Za-z0-9]*/g: digits before a letter are skipped like any separator.
    if (WORD_CLASS[bytes[i] as number] !== 1) {
      i++;
      continue;
    }
    const start = i;
    let hash = 0x811c9dc5;
    while (i < to) {
      const c = bytes[i] as number;
      if (WORD_CLASS[c] === 0) break;
      hash = Math.imul(hash ^ (c | 0x20), 0x01000193);
      i++;
    }
    words.add(bytes, start, i, hash);
    seen++;
  }
  if (table instanceof Map)
    for (const [word, count] of words.entries()) table.set(word, (table.get(word) ?? 0) + count);
  return seen;
}

/** A stable 32-bit FNV-1a hash of a word's UTF-8 bytes: the shuffle's partitioning function. */
export function fnv1a32(word: string): number {
  const bytes = Buffer.from(word, 'utf8');
  let hash = 0x811c9dc5;
  for (const b of bytes) {
    hash ^= b;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The reduce partition of a word among `partitions` (from the word, or from its FNV-1a 32 hash). */
export function partitionOf(word: string | number, partitions: number): number {
  return (typeof word === 'number' ? word >>> 0 : fnv1a32(word)) % partitions;
}
