/**
 * The built-in views: word counts per word and hour over tweet-like events, and event counts per
 * key (or type) and minute. Importable by the batch job's functions too (no engine imports).
 */
import type { ViewModule } from './view-module.js';

const WORD = /[\p{L}\p{N}][\p{L}\p{N}'_-]*/gu;

/** Words of a tweet's text, lower-cased, without links and mentions. */
export function wordsOf(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  const words: string[] = [];
  for (const token of text.toLowerCase().split(/\s+/)) {
    if (token.startsWith('http') || token.startsWith('@')) continue;
    for (const match of token.matchAll(WORD)) words.push(match[0]);
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
