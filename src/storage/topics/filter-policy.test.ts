import { describe, expect, it } from 'vitest';
import { compileFilterPolicy } from './filter-policy.js';

const attrs = (policy: unknown) => compileFilterPolicy(JSON.stringify(policy), 'MessageAttributes');
const body = (policy: unknown) => compileFilterPolicy(JSON.stringify(policy), 'MessageBody');

describe('filter policies', () => {
  it('ANDs keys and ORs the values of one key', () => {
    const match = attrs({ kind: ['a', 'b'], n: [1] });
    expect(match({ kind: 'a', n: 1 })).toBe(true);
    expect(match({ kind: 'b', n: 1 })).toBe(true);
    expect(match({ kind: 'c', n: 1 })).toBe(false);
    expect(match({ kind: 'a' })).toBe(false);
  });

  it('matches prefix, suffix, equals-ignore-case, anything-but and numeric ranges', () => {
    expect(attrs({ r: [{ prefix: 'eu-' }] })({ r: 'eu-west-1' })).toBe(true);
    expect(attrs({ r: [{ prefix: 'eu-' }] })({ r: 'us-east-1' })).toBe(false);
    expect(attrs({ f: [{ suffix: '.jpg' }] })({ f: 'cat.jpg' })).toBe(true);
    expect(attrs({ s: [{ 'equals-ignore-case': 'PAID' }] })({ s: 'paid' })).toBe(true);
    expect(attrs({ s: [{ 'anything-but': ['x', 'y'] }] })({ s: 'z' })).toBe(true);
    expect(attrs({ s: [{ 'anything-but': ['x', 'y'] }] })({ s: 'x' })).toBe(false);
    expect(attrs({ s: [{ 'anything-but': { prefix: 'tmp' } }] })({ s: 'tmp1' })).toBe(false);
    expect(attrs({ s: [{ 'anything-but': 5 }] })({ s: 6 })).toBe(true);
    const range = attrs({ n: [{ numeric: ['>=', 0, '<', 10] }] });
    expect([range({ n: 0 }), range({ n: 9.5 }), range({ n: 10 }), range({ n: -1 })]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('matches on the presence of a key, any element of an array, and $or', () => {
    expect(attrs({ k: [{ exists: true }] })({ k: 'v' })).toBe(true);
    expect(attrs({ k: [{ exists: true }] })({})).toBe(false);
    expect(attrs({ k: [{ exists: false }] })({})).toBe(true);
    expect(attrs({ tags: ['red'] })({ tags: ['blue', 'red'] })).toBe(true);
    const either = attrs({ $or: [{ a: ['1'] }, { b: ['2'] }] });
    expect([either({ a: '1' }), either({ b: '2' }), either({ a: '2' })]).toEqual([true, true, false]);
  });

  it('matches nested keys of a JSON body', () => {
    const match = body({ order: { status: ['paid'], items: { sku: [{ prefix: 'A' }] } } });
    expect(match({ order: { status: 'paid', items: { sku: 'A1' } } })).toBe(true);
    expect(match({ order: { status: 'paid', items: { sku: 'B1' } } })).toBe(false);
    expect(match({ order: 'paid' })).toBe(false);
  });

  it('refuses what SNS refuses', () => {
    const bad = [
      '{',
      '[]',
      '{"a":"x"}',
      '{"a":[]}',
      '{"a":[{"numeric":[">",5,">",7]}]}',
      '{"a":[{"numeric":[">",10,"<",5]}]}',
      '{"a":[{"exists":"yes"}]}',
      '{"a":[{"wildcard":"x"}]}',
      '{"a":{"b":["x"]}}',
      '{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}',
    ];
    for (const text of bad) {
      expect(() => compileFilterPolicy(text, 'MessageAttributes'), text).toThrow(
        expect.objectContaining({ code: 'InvalidParameter' }),
      );
    }
  });
});
