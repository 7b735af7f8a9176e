import { describe, expect, it } from 'vitest';
import { checkMap, checkValue, MAX_NESTING_DEPTH } from './values.js';

function nested(depth: number): unknown {
  let value: unknown = { S: 'leaf' };
  for (let i = 1; i < depth; i++) value = i % 2 ? { L: [value] } : { M: { k: value } };
  return value;
}

describe('attribute values', () => {
  it('accept lists and maps nested up to 32 levels, as DynamoDB does', () => {
    expect(checkMap({ a: nested(MAX_NESTING_DEPTH) })).toBeDefined();
    expect(() => checkMap({ a: nested(MAX_NESTING_DEPTH + 1) })).toThrow(
      expect.objectContaining({
        code: 'ValidationException',
        message: 'Nesting Levels have exceeded supported limits',
      }),
    );
    expect(() => checkValue(nested(100_000), 'deep')).toThrow(expect.objectContaining({ code: 'ValidationException' }));
  });

  it('refuse values of the wrong shape with a ValidationException', () => {
    for (const bad of [null, [], 'x', { S: 1 }, { M: [] }, { L: {} }, { S: 'a', N: '1' }, {}, { X: 'y' }]) {
      expect(() => checkValue(bad, 'v'), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'ValidationException' }),
      );
    }
    expect(() => checkMap(null as never)).toThrow(expect.objectContaining({ code: 'ValidationException' }));
  });
});
