import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_VIEWS, wordsOf } from './builtin-views.js';
import { LineKernel } from './line-kernel.js';
import { eventTime, resolveView, ViewAccumulator } from './view-module.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 4, 1);
const FROM = T0 + HOUR;
const HORIZON = T0 + 20 * HOUR;
const UTF8 = new TextEncoder();
const module = BUILTIN_VIEWS['word-count-hourly'];
if (!module) throw new Error('word-count-hourly is built in');
const view = resolveView(module);

type Counts = { events: number; counts: Map<string, number> };

/** The definition: JSON.parse each line, its time by eventTime, its words by wordsOf, counted per (word, hour). */
function reference(lines: string[], into: Counts = { events: 0, counts: new Map() }): Counts {
  for (const line of lines) {
    if (!line) continue;
    const event = JSON.parse(line) as Record<string, unknown>;
    const time = eventTime(event, 'created_at');
    if (time === undefined || time < FROM || time >= HORIZON) continue;
    into.events++;
    for (const word of wordsOf(event.text)) {
      const id = `${word} ${Math.floor(time / HOUR) * HOUR}`;
      into.counts.set(id, (into.counts.get(id) ?? 0) + 1);
    }
  }
  return into;
}

/**
 * The kernel's counts over `text`'s lines, with the lines it bails on counted by the definition:
 * equal to the definition's counts of all lines only when the kernel counts its lines exactly and
 * bails whole lines, before counting anything of them. Answers the bailed lines too.
 */
function kernelFold(text: string, pieceBytes?: number): Counts & { bailed: string[] } {
  const bytes = Buffer.from(text);
  const accumulator = new ViewAccumulator(view);
  const kernel = new LineKernel(
    {
      textField: UTF8.encode('text'),
      timeField: UTF8.encode('created_at'),
      from: FROM,
      horizon: HORIZON,
      width: HOUR,
      ...(pieceBytes ? { pieceBytes } : {}),
    },
    accumulator,
  );
  const bailed: string[] = [];
  const events = kernel.fold(bytes, 0, bytes.length, (start, end) => bailed.push(bytes.toString('utf8', start, end)));
  kernel.drain();
  const counts = new Map<string, number>();
  for (const [key, bucket, state] of accumulator.tuples()) counts.set(`${key} ${bucket}`, state as number);
  return { ...reference(bailed, { events, counts }), bailed };
}

const word = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom('sun', 'Moon', 'STAR', "don't", 'x_y-z', '2026', 'a', 'Zz9', '_lead', '-dash', "'q"),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'http://t.co/a',
      'HTTP://X',
      'hTtPs',
      'http',
      'htt',
      '@who',
      '@',
      'a@b',
      'xhttp',
      'x.http',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'sixteenletterswd',
      'seventeenletterwd',
      'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
      'under_scores_and-dashes-that-run-long',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('naïve', 'Été', '😀', 'say "hi"', 'back\\slash', 'tab\there', 'new\nline', '\u0001'),
  },
  { weight: 2, arbitrary: fc.constantFrom(',.;!', '', '  ', '(sun)', '#tag', '$5', '~x~') },
);
const text = fc.array(word, { maxLength: 10 }).map((words) => words.join(' '));
const iso = (t: number) => new Date(t).toISOString();
const time = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: T0, max: T0 + 24 * HOUR }).map(iso) },
  { weight: 1, arbitrary: fc.integer({ min: T0, max: T0 + 24 * HOUR }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      iso(FROM),
      iso(FROM - 1),
      iso(HORIZON),
      iso(HORIZON - 1),
      '2026-05-01 03:00:00Z',
      '2026-05-01T05:00:00Z',
      '2026-05-01T05:00:00.000+00:00',
      '2026-04-31T05:00:00.000Z',
      '2026-05-01T24:00:00.000Z',
      '1969-12-31T23:59:59.999Z',
      '0000-01-01T00:00:00.000Z',
      '+002026-05-01T05:00:00.000Z',
      'soon',
      '',
      '2026-05-01T0\\u0035:00:00.000Z',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom(null, true, ['2026-05-01T05:00:00.000Z']) },
);
const other = fc.constantFrom(
  { text: 'nested sun' },
  ['"]', { created_at: 1 }, '\\'],
  'x',
  '"quoted" \\ back',
  'ü',
  -1.5e3,
  null,
  false,
  [],
  {},
  [[{}], [[]]],
);
const event = fc.record(
  {
    id: fc.string({ maxLength: 4 }),
    text: fc.oneof({ weight: 10, arbitrary: text }, { weight: 1, arbitrary: fc.constantFrom(null, 7, ['sun'], {}) }),
    created_at: time,
    meta: other,
    lang: fc.constantFrom('en', 'fr'),
  },
  { requiredKeys: [] },
);
/** A line as JSON.stringify writes it (fields in any order), or the same event spelled otherwise. */
const line = fc.tuple(event, fc.nat(9), fc.nat(1000)).map(([e, form, seed]) => {
  const entries: Array<[string, unknown]> = Object.entries(e);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = (seed * (i + 7)) % (i + 1);
    [entries[i], entries[j]] = [entries[j] as [string, unknown], entries[i] as [string, unknown]];
  }
  const json = JSON.stringify(Object.fromEntries(entries));
  if (form === 1) return json.replace(/,"/g, ', "');
  if (form === 2) return ` ${json}`;
  if (form === 3) return `${json}\r`;
  if (form === 4 && e.text !== undefined) return `${json.slice(0, -1)},"text":"last wins SUN"}`;
  if (form === 5 && e.text !== undefined) return `${json.slice(0, -1)},"text":"last w\\u0069ns"}`;
  if (form === 6) return json.replace('"text"', '"te\\u0078t"');
  return json;
});

/** A plain tweet, as the archiver writes them. */
function tweet(i: number, words: string): string {
  return JSON.stringify({
    id: String(i),
    user: `u${i}`,
    text: words,
    hashtags: [],
    created_at: iso(FROM + i * 60_000),
  });
}

describe('the word-count kernel (the batch mapper over plain lines)', () => {
  it('counts what JSON.parse + eventTime + wordsOf count, leaving whole lines to JavaScript (property, seeded)', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 40 }), fc.integer({ min: 64, max: 2048 }), (lines, piece) => {
        const text = `${lines.join('\n')}\n`;
        const expected = reference(lines);
        const whole = kernelFold(text);
        expect({ events: whole.events, counts: whole.counts }).toEqual(expected);
        const cut = kernelFold(text, piece);
        expect({ events: cut.events, counts: cut.counts }).toEqual(expected);
      }),
      { seed: 20261207, numRuns: 400 },
    );
  });

  it('reads plain tweets itself, and leaves to JavaScript only the lines it does not read plainly', () => {
    const plain = [
      tweet(1, 'Sun and MOON http://x @y sun'),
      tweet(2, 'x@y hTTp:/z @ -http sun-'),
      tweet(3, "don't stop_ 2026 thisisaverylongwordindeed sixteenletterswd"),
      tweet(4, ''),
    ];
    const unusual = [
      tweet(5, 'sun "and" moon'),
      tweet(6, 'café'),
      JSON.stringify({ id: '7', text: 'sun', created_at: '2026-05-01T05:00:00Z' }),
      JSON.stringify({ id: '8', text: 'sun', created_at: FROM + 1 }),
      JSON.stringify({ id: '9', text: 'sun' }),
      JSON.stringify({ id: '10', created_at: iso(FROM) }),
      `{"text": "sun", "created_at": "${iso(FROM)}"}`,
    ];
    const text = `${[...plain, '', ...unusual].join('\n')}`;
    const got = kernelFold(text);
    expect(got.bailed).toEqual(unusual);
    expect({ events: got.events, counts: got.counts }).toEqual(reference([...plain, ...unusual]));
    expect(got.counts.get(`sun ${FROM}`)).toBe(5);
    expect(got.counts.get(`thisisaverylongwordindeed ${FROM}`)).toBe(1);
  });

  it('drains its table when it fills, and counts words past its capacity in one line', () => {
    const distinct = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i.toString(36)}`);
    // 32,000 keys over many lines, then 40,000 more in one line: past the table's capacity in that
    // line (the rest listed for JavaScript), past half of it at the next line (drained).
    const lines: string[] = [];
    for (let i = 0; i < 320; i++) lines.push(tweet(i % 50, distinct(100, `v${i}x`).join(' ')));
    lines.push(tweet(0, distinct(40_000, 'w').join(' ')));
    for (let i = 0; i < 20; i++) lines.push(tweet(i, distinct(100, `v${i}x`).join(' ')));
    const got = kernelFold(`${lines.join('\n')}\n`);
    expect(got.bailed).toEqual([]);
    expect({ events: got.events, counts: got.counts }).toEqual(reference(lines));
  });
});
