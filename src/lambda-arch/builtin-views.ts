/**
 * The built-in views: word counts per word and hour over tweet-like events, and event counts per
 * key (or type) and minute. Importable by the batch job's functions too (no engine imports).
 */
import type { ViewModule } from './view-module.js';

// One pass over the text: a whitespace-led token starting with `http` or `@` (a link or a mention)
// is matched whole and skipped (no group); anything else yields its words (group 1).
const WORD_OR_SKIPPED = /(?<=^|\s)(?:http|@)\S*|([\p{L}\p{N}][\p{L}\p{N}'_-]*)/gu;

/** Takes words as slices text[start, end) of a lower-cased text (no string built per word). */
export interface WordSink {
  add(text: string, start: number, end: number): void;
}

/** Takes words as lower-cased ASCII bytes[start, end) (valid during the call only). */
export interface ByteWordSink {
  addBytes(bytes: Uint8Array, start: number, end: number): void;
}

const PAST_ASCII = /[^\0-\x7f]/;

/** Words of a tweet's text, lower-cased, without links and mentions. */
export function wordsOf(text: unknown): string[] {
  const words: string[] = [];
  wordsInto(text, { add: (lower, start, end) => words.push(lower.slice(start, end)) });
  return words;
}

/** wordsOf's words, in order, handed to `sink` as slices of the lower-cased text. */
export function wordsInto(text: unknown, sink: WordSink): void {
  if (typeof text !== 'string') return;
  const lower = text.toLowerCase();
  if (PAST_ASCII.test(lower)) {
    for (const word of regexWordsOf(lower)) sink.add(word, 0, word.length);
  } else asciiWordsInto(lower, sink);
}

/** wordsOf by WORD_OR_SKIPPED: the definition, for text with any character past ASCII. */
function regexWordsOf(lower: string): string[] {
  const words: string[] = [];
  for (const match of lower.matchAll(WORD_OR_SKIPPED)) {
    const word = match[1];
    if (word !== undefined) words.push(word);
  }
  return words;
}

/**
 * WORD_OR_SKIPPED's matches for lower-cased ASCII text by a scan over its character codes (in ASCII,
 * \p{L} is a–z once lower-cased, \p{N} is 0–9, \s is space and \t–\r).
 */
function asciiWordsInto(lower: string, sink: WordSink): void {
  const n = lower.length;
  let afterSpace = true;
  let i = 0;
  while (i < n) {
    const c = lower.charCodeAt(i);
    if (afterSpace && (c === 0x40 || (c === 0x68 && lower.startsWith('http', i)))) {
      // A link or a mention: skipped to the next whitespace.
      while (i < n && !isAsciiSpace(lower.charCodeAt(i))) i++;
      afterSpace = false;
      continue;
    }
    if (isAsciiAlnum(c)) {
      const start = i;
      for (i++; i < n; i++) {
        const d = lower.charCodeAt(i);
        if (!isAsciiAlnum(d) && d !== 0x27 && d !== 0x5f && d !== 0x2d) break;
      }
      sink.add(lower, start, i);
      afterSpace = false;
      continue;
    }
    afterSpace = isAsciiSpace(c);
    i++;
  }
}

/** Byte classes for asciiWordBytesInto: a word's first character, one that continues a word, whitespace. */
const WORD_START = 1;
const WORD_PART = 2;
const SPACE = 4;
const CLASS = new Uint8Array(256);
/** ASCII lower-casing of a byte. */
const LOWER = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  const lower = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
  LOWER[c] = lower;
  if (isAsciiAlnum(lower)) CLASS[c] = WORD_START | WORD_PART;
  else if (lower === 0x27 || lower === 0x5f || lower === 0x2d) CLASS[c] = WORD_PART;
  else if (isAsciiSpace(lower)) CLASS[c] = SPACE;
}

/** The lower-cased words asciiWordBytesInto hands on (grown as texts need; one per process). */
let lowered = new Uint8Array(1024);

/**
 * wordsInto's words of the ASCII text bytes[start, end), handed to `sink` as lower-cased bytes:
 * asciiWordsInto's scan over the bytes, each word lower-cased into a copy as it is scanned.
 */
export function asciiWordBytesInto(bytes: Uint8Array, start: number, end: number, sink: ByteWordSink): void {
  if (lowered.length < end - start) lowered = new Uint8Array(Math.max(end - start, 2 * lowered.length));
  const lower = lowered;
  let afterSpace = true;
  let i = start;
  while (i < end) {
    const c = bytes[i] as number;
    if (afterSpace && (c === 0x40 || (LOWER[c] === 0x68 && startsHttp(bytes, i, end)))) {
      // A link or a mention: skipped to the next whitespace.
      while (i < end && ((CLASS[bytes[i] as number] as number) & SPACE) === 0) i++;
      afterSpace = false;
      continue;
    }
    const kind = CLASS[c] as number;
    if (kind & WORD_START) {
      let n = 0;
      do {
        lower[n++] = LOWER[bytes[i] as number] as number;
        i++;
      } while (i < end && ((CLASS[bytes[i] as number] as number) & WORD_PART) !== 0);
      sink.addBytes(lower, 0, n);
      afterSpace = false;
      continue;
    }
    afterSpace = (kind & SPACE) !== 0;
    i++;
  }
}

/** True when bytes[i, i + 4) is `http` in any case. */
function startsHttp(bytes: Uint8Array, i: number, end: number): boolean {
  return (
    i + 3 < end &&
    LOWER[bytes[i + 1] as number] === 0x74 &&
    LOWER[bytes[i + 2] as number] === 0x74 &&
    LOWER[bytes[i + 3] as number] === 0x70
  );
}

function isAsciiAlnum(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
}

function isAsciiSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d);
}

const wordCountHourly: ViewModule = {
  name: 'word-count-hourly',
  granularity: 'hour',
  monoid: 'count',
  fields: ['text'],
  key: (event) => wordsOf(event.text),
  keysInto: (event, sink) => wordsInto(event.text, sink),
  keysFromBytes: asciiWordBytesInto,
  keysKernel: 'words',
};

const eventCount: ViewModule = {
  name: 'event-count',
  granularity: 'minute',
  monoid: 'count',
  fields: ['key', 'type'],
  key: (event) => {
    const key = event.key ?? event.type;
    return key === undefined || key === null ? null : String(key);
  },
};

/** Built-in views by id. */
export const BUILTIN_VIEWS: Readonly<Record<string, ViewModule>> = {
  'word-count-hourly': wordCountHourly,
  'event-count': eventCount,
};
