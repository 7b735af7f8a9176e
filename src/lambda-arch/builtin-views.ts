/**
 * The built-in views: word counts per word and hour over tweet-like events, and event counts per
 * key (or type) and minute. Importable by the batch job's functions too (no engine imports).
 */
import type { ViewModule } from './view-module.js';

// One pass over the text: a whitespace-led token starting with `http` or `@` (a link or a mention)
// is matched whole and skipped (no group); anything else yields its words (group 1).
const WORD_OR_SKIPPED = /(?<=^|\s)(?:http|@)\S*|([\p{L}\p{N}][\p{L}\p{N}'_-]*)/gu;

/** Words of a tweet's text, lower-cased, without links and mentions. */
export function wordsOf(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  const words: string[] = [];
  for (const match of text.toLowerCase().matchAll(WORD_OR_SKIPPED)) {
    const word = match[1];
    if (word !== undefined) words.push(word);
  }
  return words;
}

const wordCountHourly: ViewModule = {
  name: 'word-count-hourly',
  granularity: 'hour',
  monoid: 'count',
  key: (event) => wordsOf(event.text),
};

const eventCount: ViewModule = {
  name: 'event-count',
  granularity: 'minute',
  monoid: 'count',
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
