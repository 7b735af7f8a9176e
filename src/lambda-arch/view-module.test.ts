import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventTime, foldEvents, resolveView } from './view-module.js';

describe('event time', () => {
  it('reads ISO text or epoch ms, and refuses a time no date can hold (it would stall the archive)', () => {
    expect(eventTime({ t: '2026-01-05T10:00:00Z' }, 't')).toBe(Date.UTC(2026, 0, 5, 10));
    expect(eventTime({ t: 1_700_000_000_000 }, 't')).toBe(1_700_000_000_000);
    expect(eventTime({ t: 1e20 }, 't')).toBeUndefined();
    expect(eventTime({ t: 'soon' }, 't')).toBeUndefined();
    expect(eventTime({}, 't')).toBeUndefined();
  });
});

describe('folding a batch (what a speed function answers)', () => {
  const view = resolveView({
    name: 'tags',
    granularity: 'minute',
    monoid: 'sum',
    key: (e) => {
      if (e.bad) throw new Error('bad event');
      return e.tags as string[];
    },
    value: (e) => e.n,
  });

  it('gives one tuple per distinct (key, bucket) holding the sum of its events, and counts throws', () => {
    const event = fc.record({
      tags: fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 }),
      n: fc.integer({ min: -5, max: 5 }),
      minute: fc.integer({ min: 0, max: 3 }),
      bad: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        const timed = events.map((e) => ({ event: e, time: e.minute * 60_000 + 1234 }));
        const fold = foldEvents(view, timed);
        const expected = new Map<string, number>();
        for (const e of events) {
          if (e.bad) continue;
          for (const tag of e.tags) {
            const id = `${tag}@${e.minute * 60_000}`;
            expected.set(id, (expected.get(id) ?? 0) + e.n);
          }
        }
        expect(new Map(fold.tuples.map(([k, b, s]) => [`${k}@${b}`, s]))).toEqual(expected);
        expect(fold.tuples.length).toBe(expected.size);
        expect(fold.errors).toBe(events.filter((e) => e.bad).length);
        if (fold.errors > 0) expect(fold.last).toBe('bad event');
      }),
      { seed: 7, numRuns: 100 },
    );
  });
});

describe('declared fields', () => {
  const base = { name: 'v', granularity: 'minute' as const, monoid: 'count', key: () => 'k' };

  it('keeps a list of field names, and refuses anything else naming the export', () => {
    expect(resolveView({ ...base, fields: ['text'] }).fields).toEqual(['text']);
    expect(resolveView(base).fields).toBeUndefined();
    expect(() => resolveView({ ...base, fields: 'text' as never })).toThrow(/fields must be an array/);
    expect(() => resolveView({ ...base, fields: [1] as never })).toThrow(/fields must be an array/);
  });

  it('keeps keysFromBytes only for one declared field, no value and the count monoid by name', () => {
    const keysFromBytes = () => undefined;
    const bytes = { ...base, fields: ['text'], keysFromBytes };
    expect(resolveView(bytes).keysFromBytes).toBe(keysFromBytes);
    expect(resolveView({ ...bytes, fields: ['text', 'user'] }).keysFromBytes).toBeUndefined();
    expect(resolveView({ ...bytes, fields: undefined }).keysFromBytes).toBeUndefined();
    expect(resolveView({ ...bytes, value: () => 2 }).keysFromBytes).toBeUndefined();
    expect(resolveView({ ...bytes, monoid: 'sum' }).keysFromBytes).toBeUndefined();
    const ownCount = {
      name: 'count',
      zero: () => 0,
      lift: () => 5,
      merge: (a: unknown, b: unknown) => Number(a) + Number(b),
    };
    expect(resolveView({ ...bytes, monoid: ownCount as never }).keysFromBytes).toBeUndefined();
    expect(() => resolveView({ ...bytes, keysFromBytes: 'x' as never })).toThrow(/keysFromBytes/);
  });
});
