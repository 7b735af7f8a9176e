import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseScheduleExpression } from './cron.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('schedule expressions', () => {
  const table: [string, string, string][] = [
    ['cron(0/15 * * * ? *)', '2026-11-24T18:07:30Z', '2026-11-24T18:15:00.000Z'],
    ['cron(0/15 * * * ? *)', '2026-11-24T18:45:00Z', '2026-11-24T19:00:00.000Z'],
    ['cron(0 10 * * ? *)', '2026-11-24T10:00:00Z', '2026-11-25T10:00:00.000Z'],
    ['cron(15 12 * * ? *)', '2026-11-24T09:00:00Z', '2026-11-24T12:15:00.000Z'],
    ['cron(0 18 ? * MON-FRI *)', '2026-11-27T19:00:00Z', '2026-11-30T18:00:00.000Z'], // Fri evening → Mon
    ['cron(0 8 1 * ? *)', '2026-11-24T00:00:00Z', '2026-12-01T08:00:00.000Z'],
    ['cron(0 0 L * ? *)', '2026-02-03T00:00:00Z', '2026-02-28T00:00:00.000Z'],
    ['cron(0 0 L * ? *)', '2028-02-03T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['cron(0 9 LW * ? *)', '2026-05-01T00:00:00Z', '2026-05-29T09:00:00.000Z'], // May 31 2026 is a Sunday
    ['cron(0 9 15W * ? *)', '2026-08-01T00:00:00Z', '2026-08-14T09:00:00.000Z'], // Aug 15 2026 is a Saturday
    ['cron(0 9 1W * ? *)', '2026-08-01T00:00:00Z', '2026-08-03T09:00:00.000Z'], // Aug 1 2026 is a Saturday
    ['cron(0 12 ? * 6L *)', '2026-11-01T00:00:00Z', '2026-11-27T12:00:00.000Z'], // last Friday
    ['cron(0 12 ? * 3#2 *)', '2026-11-01T00:00:00Z', '2026-11-10T12:00:00.000Z'], // second Tuesday
    ['cron(0 12 ? * TUE#2 *)', '2026-11-11T00:00:00Z', '2026-12-08T12:00:00.000Z'],
    ['cron(0/5 8-17 ? * MON-FRI *)', '2026-11-24T17:56:00Z', '2026-11-25T08:00:00.000Z'],
    ['cron(0 0 1 JAN,JUL ? *)', '2026-02-01T00:00:00Z', '2026-07-01T00:00:00.000Z'],
    ['cron(30 2 * * ? 2030)', '2026-01-01T00:00:00Z', '2030-01-01T02:30:00.000Z'],
    ['cron(0 22-2/2 * * ? *)', '2026-11-24T23:00:00Z', '2026-11-25T00:00:00.000Z'],
    ['cron(0 0 29 2 ? *)', '2026-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
  ];
  it.each(table)('%s after %s is %s', (expr, after, expected) => {
    expect(iso(parseScheduleExpression(expr).next(at(after)))).toBe(expected);
  });

  it('rates count from their origin', () => {
    const origin = at('2026-11-24T18:00:10Z');
    const five = parseScheduleExpression('rate(5 minutes)', origin);
    expect(iso(five.next(at('2026-11-24T18:03:00Z')))).toBe('2026-11-24T18:05:10.000Z');
    expect(iso(five.next(at('2026-11-24T18:05:10Z')))).toBe('2026-11-24T18:10:10.000Z');
    expect(iso(parseScheduleExpression('rate(1 hour)', origin).next(origin))).toBe('2026-11-24T19:00:10.000Z');
  });

  it('never fires again past the last year', () => {
    expect(parseScheduleExpression('cron(0 0 1 1 ? 2020)').next(at('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it.each([
    'cron(* * * * * *)',
    'cron(0 0 * * ?)',
    'cron(61 * * * ? *)',
    'rate(1 minutes)',
    'rate(0 minutes)',
    'every 5m',
    'cron(0 0 ? * 9 *)',
  ])('rejects %s', (expr) => {
    expect(() => parseScheduleExpression(expr)).toThrow(
      expect.objectContaining({ code: 'InvalidParameterValueException' }),
    );
  });

  it('the next fire is after now and matches every field', () => {
    const minuteSets = fc.uniqueArray(fc.integer({ min: 0, max: 59 }), { minLength: 1, maxLength: 4 });
    const hourSets = fc.uniqueArray(fc.integer({ min: 0, max: 23 }), { minLength: 1, maxLength: 3 });
    const daySets = fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 3 });
    const now = fc.integer({ min: at('2020-01-01T00:00:00Z'), max: at('2035-01-01T00:00:00Z') });
    fc.assert(
      fc.property(minuteSets, hourSets, daySets, now, (mins, hours, days, after) => {
        const expr = `cron(${mins.join(',')} ${hours.join(',')} ? * ${days.join(',')} *)`;
        const next = parseScheduleExpression(expr).next(after) as number;
        const d = new Date(next);
        expect(next).toBeGreaterThan(after);
        expect(next - after).toBeLessThanOrEqual(8 * 86_400_000);
        expect(mins).toContain(d.getUTCMinutes());
        expect(hours).toContain(d.getUTCHours());
        expect(days).toContain(d.getUTCDay() + 1);
        expect(d.getUTCSeconds()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
