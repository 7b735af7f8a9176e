import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StreamRecordRef } from '../storage/streams/index.js';
import { eventsOf, linesOf, planArchive } from './archive-batch.js';
import { BUILTIN_VIEWS, wordsOf } from './builtin-views.js';
import { foldEvents, resolveView } from './view-module.js';

/** The definition of a tweet's words: whitespace tokens, minus links and mentions, split into words. */
function wordsByToken(text: string): string[] {
  const words: string[] = [];
  for (const token of text.toLowerCase().split(/\s+/)) {
    if (token.startsWith('http') || token.startsWith('@')) continue;
    for (const match of token.matchAll(/[\p{L}\p{N}][\p{L}\p{N}'_-]*/gu)) words.push(match[0]);
  }
  return words;
}

const pieces = fc.constantFrom(
  'http',
  'https://x.io/a',
  '@',
  '@bob',
  'Word',
  "it's",
  'a-b_c',
  'É',
  '日本',
  '42',
  ' ',
  '\t',
  '\n',
  '.',
  '#',
  'x@y',
  '\u00a0',
);

function record(data: string, seq: number): StreamRecordRef {
  return {
    streamName: 's',
    shardId: 'shardId-000000000000',
    sequenceNumber: String(seq),
    partitionKey: 'k',
    data: Buffer.from(data),
    approximateArrivalTimestamp: 0,
  };
}

describe('word-count fold', () => {
  it('finds the same words as splitting into tokens first', () => {
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 40 }), (parts) => {
        const text = parts.join('');
        expect(wordsOf(text)).toEqual(wordsByToken(text));
      }),
    );
  });

  it('folds to the counts of a plain per-word tally', () => {
    const view = resolveView(BUILTIN_VIEWS['word-count-hourly'] ?? {});
    const events = [
      { event: { text: 'the cat the' }, time: 10 },
      { event: { text: 'The dog' }, time: 3_600_010 },
      { event: { text: 'cat' }, time: 20 },
    ];
    const tuples = foldEvents(view, events).tuples.sort((a, b) => `${a[1]}${a[0]}`.localeCompare(`${b[1]}${b[0]}`));
    expect(tuples).toEqual([
      ['cat', 0, 2],
      ['the', 0, 2],
      ['dog', 3_600_000, 1],
      ['the', 3_600_000, 1],
    ]);
  });
});

describe('planArchive', () => {
  const time = '2026-12-01T10:00:00.000Z';
  const single = `{"created_at":"${time}", "text":"as sent"}`;
  const pretty = JSON.stringify({ created_at: time, text: 'pretty' }, null, 2);
  const stored = `${single}\n{"created_at":"${time}","text":"pretty"}\n`;

  it('stores each event as one JSON line, keeping single-line records as sent and re-encoding multi-line ones', () => {
    const plan = planArchive([record(single, 1), record(pretty, 2)], {
      prefix: 'm/',
      timeField: 'created_at',
      sealed: 0,
      compression: 'none',
    });
    expect(plan.objects).toHaveLength(1);
    expect(plan.objects[0]?.key).toMatch(/^m\/dt=2026-12-01\/hour=10\/part-.*\.jsonl$/);
    expect(plan.objects[0]?.body.toString('utf8')).toBe(stored);
    expect(plan.accepted.map((e) => e.event.text)).toEqual(['as sent', 'pretty']);
  });

  it('writes gzip objects for a gzip dataset, and reads events back from either kind', () => {
    const options = { prefix: 'm/', timeField: 'created_at', sealed: 0 };
    const gzip = planArchive([record(single, 1), record(pretty, 2)], { ...options, compression: 'gzip' });
    const plain = planArchive([record(single, 1), record(pretty, 2)], { ...options, compression: 'none' });
    const body = gzip.objects[0]?.body ?? Buffer.alloc(0);
    expect(gzip.objects[0]?.key).toBe(`${plain.objects[0]?.key}.gz`);
    expect(gunzipSync(body).toString('utf8')).toBe(stored);
    expect(linesOf(body)).toBe(stored);
    const events = (b: Buffer | undefined) => eventsOf(b ?? Buffer.alloc(0), 'created_at');
    expect(events(body)).toEqual(events(plain.objects[0]?.body));
    expect(events(body).map((e) => [e.event.text, e.time])).toEqual([
      ['as sent', Date.parse(time)],
      ['pretty', Date.parse(time)],
    ]);
  });

  it('gives a redelivered batch the same object names and bytes', () => {
    const options = { prefix: 'm/', timeField: 'created_at', sealed: 0, compression: 'none' } as const;
    const first = planArchive([record(single, 1), record(pretty, 2)], options);
    const again = planArchive([record(single, 1), record(pretty, 2)], options);
    expect(again.objects.map((o) => [o.key, o.body])).toEqual(first.objects.map((o) => [o.key, o.body]));
  });
});
