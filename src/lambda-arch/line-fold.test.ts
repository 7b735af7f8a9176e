import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_VIEWS, wordsOf } from './builtin-views.js';
import { LineFolder } from './line-fold.js';
import { eventTime, resolveView } from './view-module.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 4, 1);
const OPTIONS = { from: T0 + HOUR, horizon: T0 + 20 * HOUR, timeField: 'created_at' };

/** The definition: JSON.parse each line, its time by eventTime, its words by wordsOf, counted per (word, hour). */
function reference(lines: string[]): { events: number; counts: Map<string, number> } {
  const counts = new Map<string, number>();
  let events = 0;
  for (const line of lines) {
    if (!line) continue;
    const event = JSON.parse(line) as Record<string, unknown>;
    const time = eventTime(event, OPTIONS.timeField);
    if (time === undefined || time < OPTIONS.from || time >= OPTIONS.horizon) continue;
    events++;
    for (const word of wordsOf(event.text)) {
      const id = `${word}\u0000${Math.floor(time / HOUR) * HOUR}`;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  return { events, counts };
}

function folded(bytes: Uint8Array, cuts: number[]): { events: number; counts: Map<string, number> } {
  const module = BUILTIN_VIEWS['word-count-hourly'];
  if (!module) throw new Error('word-count-hourly is built in');
  const view = resolveView(module);
  expect(view.keysFromBytes).toBeTypeOf('function');
  const folder = new LineFolder(view, OPTIONS);
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    folder.fold(bytes, start, cut);
    start = cut;
  }
  const counts = new Map<string, number>();
  for (const [key, bucket, state] of folder.accumulator.tuples()) counts.set(`${key}\u0000${bucket}`, state as number);
  return { events: folder.events, counts };
}

/** Whole-line cut points of `bytes` (after some of its newlines). */
function lineCuts(bytes: Uint8Array, every: number): number[] {
  const cuts: number[] = [];
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0a && ++n % every === 0) cuts.push(i + 1);
  return cuts;
}

const word = fc.constantFrom(
  'sun',
  'Moon',
  'STAR',
  "don't",
  'x_y-z',
  '2026',
  'http://t.co/a',
  'HTTP://X',
  '@who',
  'a@b',
  'xhttp',
  'naïve',
  'Été',
  '😀',
  'say "hi"',
  'back\\slash',
  'tab\there',
  'new\nline',
  ',.;!',
  '',
);
const text = fc.array(word, { maxLength: 8 }).map((words) => words.join(' '));
const time = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: T0, max: T0 + 24 * HOUR }).map((t) => new Date(t).toISOString()) },
  { weight: 1, arbitrary: fc.integer({ min: T0, max: T0 + 24 * HOUR }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '2026-05-01 03:00:00Z',
      '2026-05-01T05:00:00Z',
      'soon',
      '2026-05-01T0\\u0035:00:00.000Z',
    ),
  },
);
const event = fc.record(
  {
    id: fc.string({ maxLength: 4 }),
    text: fc.oneof({ weight: 8, arbitrary: text }, { weight: 1, arbitrary: fc.constantFrom(null, 7, ['sun']) }),
    created_at: time,
    meta: fc.constantFrom({ text: 'nested sun' }, ['"]', { created_at: 1 }], 'x'),
  },
  { requiredKeys: ['id'] },
);
/** A line as JSON.stringify writes it, or the same event with JSON's other spellings. */
const line = fc.tuple(event, fc.nat(5)).map(([e, form]) => {
  const json = JSON.stringify(e);
  if (form === 1)
    return ` { ${Object.entries(e)
      .map(([k, v]) => `${JSON.stringify(k)} :\t${JSON.stringify(v)}`)
      .join(' ,\r\t ')} }\r`;
  if (form === 2 && e.text !== undefined) return `${json.slice(0, -1)},"text":"last wins SUN"}`;
  if (form === 3) return json.replace('"text"', '"te\\u0078t"');
  return json;
});

describe('folding master-dataset lines (the batch mapper)', () => {
  it('counts what JSON.parse + eventTime + wordsOf count, reading plain lines as bytes (property, seeded)', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 60 }), fc.integer({ min: 1, max: 7 }), (lines, every) => {
        const bytes = Buffer.from(`${lines.join('\n')}\n`);
        const expected = reference(lines);
        expect(folded(bytes, [])).toEqual(expected);
        expect(folded(bytes, lineCuts(bytes, every))).toEqual(expected);
      }),
      { seed: 20261207, numRuns: 800 },
    );
  });

  it('reads a plain tweet as bytes and a tricky one as a string, to the same counts', () => {
    const plain =
      '{"id":"1","text":"Sun and MOON http://x @y sun","created_at":"2026-05-01T03:04:05.678Z","lang":"en"}';
    const tricky = '{"id":"2","text":"sun \\"and\\" moon","created_at":"2026-05-01T03:59:59.999Z"}';
    const got = folded(Buffer.from(`${plain}\n\n${tricky}`), []);
    expect(got).toEqual(reference([plain, tricky]));
    expect(got.counts.get(`sun\u0000${T0 + 3 * HOUR}`)).toBe(3);
    expect(got.events).toBe(2);
  });

  it('fails a task on a line that is not JSON, as JSON.parse does', () => {
    const module = BUILTIN_VIEWS['word-count-hourly'];
    if (!module) throw new Error('word-count-hourly is built in');
    const folder = new LineFolder(resolveView(module), OPTIONS);
    expect(() => folder.fold(Buffer.from('{"text":"a","created_at":\n'), 0, 26)).toThrow(SyntaxError);
  });
});
