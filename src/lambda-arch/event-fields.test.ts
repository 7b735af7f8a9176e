import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pickFields } from './event-fields.js';

const WANTED = new Set(['text', 'created_at', 'n']);

/** What the batch mapper must see from a line: the wanted fields of JSON.parse(line), and no others. */
function expected(line: string): Record<string, unknown> {
  const event = JSON.parse(line) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of WANTED) if (Object.hasOwn(event, field)) out[field] = event[field];
  return out;
}

describe('reading a few fields of a JSON line (the batch mapper fast path)', () => {
  it('gives what JSON.parse gives on awkward lines: escapes, unicode, nesting, order, whitespace, duplicates', () => {
    const lines = [
      '{"id":"1","text":"plain words","created_at":"2026-12-07T06:17:32.278Z","lang":"en"}',
      '{"created_at":"2026-12-07T06:17:32.278Z","text":"reordered"}',
      '{"text":"a \\"quoted\\" word, a back\\\\slash\\\\","created_at":1}',
      '{"text":"ends in a backslash \\\\"}',
      '{"text":"\\u00e9t\\u00e9 \\ud83d\\ude00 \\n\\t\\/","n":-1.5e3}',
      '{"text":"été 😀 日本語","user":{"text":"nested, not this","a":[1,{"text":"nor this"}]}}',
      '{"meta":{"x":"}"},"tags":["]","[",{"b":"\\""}],"text":"after tricky strings"}',
      '  {  "text"  :  "spaced"  ,  "n"  :  42  }  ',
      '{\t"text":\r\n"tabs and newlines between tokens"}',
      '{"text":"first","text":"last wins"}',
      '{"text":null,"n":true,"created_at":false}',
      '{"text":["not","a string"],"n":{"deep":[1,2,3]}}',
      '{"n":0}',
      '{"n":-0.0}',
      '{"n":1e400}',
      '{}',
      '{"other":"only"}',
      '{"__proto__":{"text":"polluted?"},"n":3}',
      '{"te\\u0078t":"escaped key"}',
      '{"empty":"","text":""}',
    ];
    for (const line of lines) {
      const fields = pickFields(line, WANTED) ?? JSON.parse(line);
      const want = expected(line);
      for (const field of WANTED) expect(fields[field], `${field} of ${line}`).toStrictEqual(want[field]);
    }
  });

  it('answers undefined (so the caller parses) for lines that are not plain objects, or keys it cannot read', () => {
    for (const line of ['[1,2]', '"text"', '42', 'null', '{"te\\u0078t":"escaped key"}', '{"text":"a"} x', ''])
      expect(pickFields(line, WANTED), line).toBeUndefined();
  });

  it('equals JSON.parse on any JSON object (property, seeded)', () => {
    const value = fc.jsonValue();
    const key = fc.oneof(fc.constantFrom('text', 'created_at', 'n', 'x'), fc.string());
    const event = fc.array(fc.tuple(key, value), { maxLength: 8 });
    fc.assert(
      fc.property(event, fc.boolean(), (pairs, spaced) => {
        const body = pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v, null, spaced ? 1 : 0)}`);
        const line = spaced ? `{ ${body.join(' ,\n ')} }` : `{${body.join(',')}}`;
        const fields = pickFields(line, WANTED) ?? JSON.parse(line);
        const want = expected(line);
        for (const field of WANTED) expect(fields[field]).toStrictEqual(want[field]);
        if (!line.includes('\\')) expect(pickFields(line, WANTED)).toBeDefined();
      }),
      { seed: 20261207, numRuns: 2000 },
    );
  });
});
