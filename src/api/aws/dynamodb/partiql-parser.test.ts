import { describe, expect, it } from 'vitest';
import { parseStatement } from './partiql-parser.js';

describe('PartiQL subset parser', () => {
  it('parses SELECT with projections, an index and WHERE terms, numbering parameters in order', () => {
    expect(
      parseStatement(`select a, "b c" FROM "t"."idx" WHERE pk = ? AND sk BETWEEN ? AND 5 AND begins_with(x, 'p')`),
    ).toEqual({
      kind: 'SELECT',
      table: 't',
      index: 'idx',
      attributes: ['a', 'b c'],
      where: [
        { attribute: 'pk', op: '=', values: [{ parameter: 0 }] },
        { attribute: 'sk', op: 'BETWEEN', values: [{ parameter: 1 }, { literal: { N: '5' } }] },
        { attribute: 'x', op: 'begins_with', values: [{ literal: { S: 'p' } }] },
      ],
    });
  });

  it('parses INSERT tuples with nested maps, lists, sets, parameters and doubled quotes', () => {
    expect(
      parseStatement(`INSERT INTO t VALUE {'a': 'it''s', 'b': [1, ?, {'c': NULL}], 'd': <<'x', 'y'>>, 'e': TRUE}`),
    ).toEqual({
      kind: 'INSERT',
      table: 't',
      item: {
        map: {
          a: { literal: { S: "it's" } },
          b: { list: [{ literal: { N: '1' } }, { parameter: 0 }, { map: { c: { literal: { NULL: true } } } }] },
          d: { literal: { SS: ['x', 'y'] } },
          e: { literal: { BOOL: true } },
        },
      },
    });
  });

  it('parses UPDATE with SET and REMOVE, and DELETE', () => {
    expect(parseStatement(`UPDATE "t" SET a = 1, b = ? REMOVE c WHERE pk = 'k'`)).toEqual({
      kind: 'UPDATE',
      table: 't',
      set: [
        { attribute: 'a', value: { literal: { N: '1' } } },
        { attribute: 'b', value: { parameter: 0 } },
      ],
      remove: ['c'],
      where: [{ attribute: 'pk', op: '=', values: [{ literal: { S: 'k' } }] }],
    });
    expect(parseStatement(`DELETE FROM "t" WHERE pk <> -1.5e3`)).toEqual({
      kind: 'DELETE',
      table: 't',
      where: [{ attribute: 'pk', op: '<>', values: [{ literal: { N: '-1.5e3' } }] }],
    });
  });

  it('names what is outside the subset', () => {
    const reject = (text: string) =>
      expect(() => parseStatement(text)).toThrow(expect.objectContaining({ code: 'ValidationException' }));
    for (const text of [
      `SELECT * FROM t WHERE a = 1 OR b = 2`,
      `SELECT * FROM t WHERE a.b = 1`,
      `SELECT * FROM t WHERE a IN [1, 2]`,
      `EXISTS(SELECT * FROM t)`,
      `SELECT * FROM t ORDER BY a`,
      `INSERT INTO t VALUE {'a': 1`,
      `SELECT * FROM t WHERE a = 'open`,
      `UPDATE t WHERE a = 1`,
      `INSERT INTO t VALUE {'s': <<?>>}`,
    ])
      reject(text);
    expect(() => parseStatement('SELECT * FROM t WHERE a = 1 OR b = 2')).toThrow(/Unsupported PartiQL: OR in WHERE/);
    expect(() => parseStatement('SELECT * FROM t ORDER BY a')).toThrow(/Unsupported PartiQL: 'ORDER' at this position/);
  });
});
