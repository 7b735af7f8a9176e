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

/** Counts wc-style words, lines (newlines, plus a final unterminated line) and bytes of whole lines. */
export function countText(bytes: Uint8Array, from = 0, to = bytes.length): Counts {
  let words = 0;
  let newlines = 0;
  let prevSpace = 1;
  for (let i = from; i < to; i++) {
    const c = bytes[i] as number;
    const space = SPACE[c] as number;
    words += prevSpace & (space ^ 1);
    prevSpace = space;
    if (c === 0x0a) newlines++;
  }
  const unterminated = to > from && bytes[to - 1] !== 0x0a ? 1 : 0;
  return { words, lines: newlines + unterminated, bytes: to - from };
}

/** Adds `b` into `a`. */
export function addCounts(a: Counts, b: Counts): Counts {
  a.words += b.words;
  a.lines += b.lines;
  a.bytes += b.bytes;
  return a;
}

/** Adds the lowercased `[A-Za-z][A-Za-z0-9]*` words of whole lines to `freq`; returns how many it saw. */
export function countWords(bytes: Uint8Array, freq: Map<string, number>, from = 0, to = bytes.length): number {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let seen = 0;
  let i = from;
  while (i < to) {
    // Words are the matches of /[A-Za-z][A-Za-z0-9]*/g: digits before a letter are skipped like any separator.
    let c = WORD_CLASS[buffer[i] as number] as number;
    if (c !== 1) {
      i++;
      continue;
    }
    const start = i;
    let upper = false;
    while (i < to && (c = WORD_CLASS[buffer[i] as number] as number) !== 0) {
      if ((buffer[i] as number) < 0x5b && c === 1) upper = true;
      i++;
    }
    let word = buffer.toString('latin1', start, i);
    if (upper) word = word.toLowerCase();
    freq.set(word, (freq.get(word) ?? 0) + 1);
    seen++;
  }
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

/** The reduce partition of a word among `partitions`. */
export function partitionOf(word: string, partitions: number): number {
  return fnv1a32(word) % partitions;
}
