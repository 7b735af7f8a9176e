import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTimeMs, isoTimeMsOfBytes } from './iso-time.js';
import { eventTime } from './view-module.js';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

describe('ISO-8601 event times without Date.parse', () => {
  it("equals Date.parse on toISOString's form, day overflow included (property, seeded)", () => {
    const parts = fc.tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.integer({ min: 1, max: 12 }),
      fc.integer({ min: 1, max: 31 }),
      fc.integer({ min: 0, max: 23 }),
      fc.integer({ min: 0, max: 59 }),
      fc.integer({ min: 0, max: 59 }),
      fc.integer({ min: 0, max: 999 }),
    );
    fc.assert(
      fc.property(parts, ([y, mo, d, h, mi, s, ms]) => {
        const text = `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}Z`;
        expect(isoTimeMs(text)).toBe(Date.parse(text));
        const bytes = Buffer.from(` ${text}"`);
        expect(isoTimeMsOfBytes(bytes, 1, bytes.length - 1)).toBe(Date.parse(text));
      }),
      { seed: 20261207, numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.date({ noInvalidDate: true }), (date) => {
        const text = date.toISOString();
        if (text.length === 24) expect(isoTimeMs(text)).toBe(date.getTime());
      }),
      { seed: 20261207, numRuns: 2000 },
    );
  });

  it('leaves every other form to Date.parse, and eventTime still reads them', () => {
    const others = [
      '2026-12-07T10:00:00Z',
      '2026-12-07T10:00:00.000+01:00',
      '2026-12-07t10:00:00.000z',
      '2026-12-07T24:00:00.000Z',
      '2026-12-07T23:59:60.000Z',
      '2026-13-07T10:00:00.000Z',
      '2026-12-32T10:00:00.000Z',
      '2026-12-00T10:00:00.000Z',
      '+02026-12-07T10:00:00.00Z',
      '2026-12-07T1a:00:00.000Z',
      '2026-12-07',
    ];
    for (const text of others) {
      expect(isoTimeMs(text), text).toBeUndefined();
      expect(isoTimeMsOfBytes(Buffer.from(text), 0, text.length), text).toBeUndefined();
      const parsed = Date.parse(text);
      expect(eventTime({ t: text }, 't'), text).toBe(Number.isFinite(parsed) ? parsed : undefined);
    }
  });
});
