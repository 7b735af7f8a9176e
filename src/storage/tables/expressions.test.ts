import { describe, expect, it } from 'vitest';
import { applyUpdate, evaluateCondition } from './evaluate.js';
import { parseCondition, parseUpdate } from './expression-parser.js';
import type { AttributeMap } from './types.js';

const item: AttributeMap = {
  id: { S: 'x' },
  n: { N: '10' },
  s: { S: 'hello' },
  tags: { SS: ['a', 'b'] },
  list: { L: [{ N: '1' }, { S: 'two' }] },
  doc: { M: { inner: { N: '3' } } },
};

const check = (text: string, values: AttributeMap = {}, names: Record<string, string> = {}) =>
  evaluateCondition(parseCondition(text, names, values), item);

describe('condition expressions', () => {
  it('evaluate comparisons, functions and boolean operators with DynamoDB precedence', () => {
    expect(check('n > :a AND n < :b', { ':a': { N: '9.5' }, ':b': { N: '1e2' } })).toBe(true);
    expect(check('n = :a OR n = :b AND s = :c', { ':a': { N: '10' }, ':b': { N: '0' }, ':c': { S: 'no' } })).toBe(true);
    expect(check('(n = :a OR n = :b) AND s = :c', { ':a': { N: '10' }, ':b': { N: '0' }, ':c': { S: 'no' } })).toBe(
      false,
    );
    expect(check('NOT attribute_exists(missing) AND attribute_exists(doc.inner)')).toBe(true);
    expect(
      check('list[1] = :t AND doc.inner BETWEEN :lo AND :hi', {
        ':t': { S: 'two' },
        ':lo': { N: '3' },
        ':hi': { N: '3' },
      }),
    ).toBe(true);
    expect(
      check('contains(tags, :a) AND contains(s, :ell) AND begins_with(s, :he)', {
        ':a': { S: 'a' },
        ':ell': { S: 'ell' },
        ':he': { S: 'he' },
      }),
    ).toBe(true);
    expect(check('size(s) = :five AND size(tags) < :three', { ':five': { N: '5' }, ':three': { N: '3' } })).toBe(true);
    expect(check('#n IN (:a, :b)', { ':a': { N: '1' }, ':b': { N: '10.0' } }, { '#n': 'n' })).toBe(true);
    expect(check('attribute_type(tags, :ss)', { ':ss': { S: 'SS' } })).toBe(true);
    expect(check('missing < :a', { ':a': { N: '1' } })).toBe(false);
    expect(check('s <> :n', { ':n': { N: '1' } })).toBe(true);
  });

  it('reject malformed expressions and undefined placeholders with ValidationException', () => {
    for (const text of ['n >', 'n = :missing', '#missing = n', 'AND n', 'n = 1 extra', 'n === :a']) {
      expect(() => parseCondition(text, {}, { ':a': { N: '1' } }), text).toThrowError(
        expect.objectContaining({ code: 'ValidationException' }),
      );
    }
  });
});

describe('update expressions', () => {
  it('apply SET, REMOVE, ADD and DELETE against the old item', () => {
    const actions = parseUpdate(
      'SET n = n - :one, copy = n, list[5] = :one, doc.inner = doc.inner + :one REMOVE list[0], s ADD tags :c, counter :one DELETE tags :a',
      {},
      { ':one': { N: '1' }, ':c': { SS: ['c'] }, ':a': { SS: ['a'] } },
    );
    const { item: next, touched } = applyUpdate(item, actions);
    expect(next.n).toEqual({ N: '9' });
    expect(next.copy).toEqual({ N: '10' });
    expect(next.list).toEqual({ L: [{ S: 'two' }, { N: '1' }] });
    expect(next.doc).toEqual({ M: { inner: { N: '4' } } });
    expect(next.s).toBeUndefined();
    expect(next.tags).toEqual({ SS: ['b', 'c'] });
    expect(next.counter).toEqual({ N: '1' });
    expect([...touched].sort()).toEqual(['copy', 'counter', 'doc', 'list', 'n', 's', 'tags']);
    expect(item.n).toEqual({ N: '10' });
  });

  it('reject invalid updates', () => {
    expect(() => parseUpdate('SET a = :v SET b = :v', {}, { ':v': { N: '1' } })).toThrowError(/only be used once/);
    expect(() => applyUpdate(item, parseUpdate('SET s = s + :one', {}, { ':one': { N: '1' } }))).toThrowError(
      expect.objectContaining({ code: 'ValidationException' }),
    );
    expect(() => applyUpdate(item, parseUpdate('SET nope.deeper = :one', {}, { ':one': { N: '1' } }))).toThrowError(
      /document path/,
    );
  });
});

describe('expression bounds', () => {
  const invalid = expect.objectContaining({ code: 'ValidationException' });

  it('refuses nesting past the limit instead of overflowing the stack', () => {
    const values = { ':v': { N: '1' } };
    expect(parseCondition(`${'('.repeat(50)}n = :v${')'.repeat(50)}`, {}, values)).toBeDefined();
    expect(() => parseCondition(`${'('.repeat(1000)}n = :v${')'.repeat(1000)}`, {}, values)).toThrow(invalid);
    expect(() => parseCondition(`${'NOT '.repeat(800)}n = :v`, {}, values)).toThrow(invalid);
    const appends = `${'list_append('.repeat(300)}l${', :v)'.repeat(300)}`;
    expect(() => parseUpdate(`SET l = ${appends}`, {}, values)).toThrow(invalid);
  });

  it('refuses expressions over 4 KB', () => {
    expect(() => parseCondition(`n = :v${' OR n = :v'.repeat(500)}`, {}, { ':v': { N: '1' } })).toThrow(invalid);
  });
});
