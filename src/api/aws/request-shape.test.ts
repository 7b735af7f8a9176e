import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LambdataError } from '../../shared/errors.js';
import { checkInput, type Members, ownOperation, required } from './request-shape.js';

const failures = {
  type: (message: string) => new LambdataError('SerializationException', message, 400),
  missing: (message: string) => new LambdataError('ValidationException', message, 400),
};
const members: Members = {
  Name: required('string'),
  Limit: 'integer',
  Ratio: 'number',
  On: 'boolean',
  Tags: { map: 'string' },
  Items: { list: { struct: { Id: required('string'), Size: 'integer' } } },
};

describe('checkInput', () => {
  it('passes well-typed bodies and unlisted members; null means absent', () => {
    const body = { Name: 'a', Limit: 3, Ratio: 0.5, On: true, Tags: { k: 'v' }, Items: [{ Id: 'x' }], Other: [1] };
    expect(checkInput(body, members, failures)).toBe(body);
    expect(checkInput({ Name: 'a', Limit: null }, members, failures)).toEqual({ Name: 'a', Limit: null });
  });

  it('refuses bodies that are not objects, and wrong-typed or missing members, with the protocol codes', () => {
    for (const body of [null, [], 'x', 3, true]) {
      expect(() => checkInput(body, members, failures)).toThrow(
        expect.objectContaining({ code: 'SerializationException' }),
      );
    }
    for (const body of [
      { Name: 5 },
      { Name: 'a', Limit: 1.5 },
      { Name: 'a', Limit: '3' },
      { Name: 'a', Ratio: Number.POSITIVE_INFINITY },
      { Name: 'a', On: 'true' },
      { Name: 'a', Tags: { k: 1 } },
      { Name: 'a', Tags: [] },
      { Name: 'a', Items: {} },
      { Name: 'a', Items: [null] },
      { Name: 'a', Items: [{ Id: 'x', Size: 'big' }] },
    ]) {
      expect(() => checkInput(body, members, failures), JSON.stringify(body)).toThrow(
        expect.objectContaining({ code: 'SerializationException' }),
      );
    }
    expect(() => checkInput({}, members, failures)).toThrow(expect.objectContaining({ code: 'ValidationException' }));
    expect(() => checkInput({ Name: 'a', Items: [{}] }, members, failures)).toThrow(
      expect.objectContaining({ code: 'ValidationException', message: 'The parameter Items[0].Id is required' }),
    );
  });

  it('reads the query protocol text of numbers and booleans', () => {
    const text = { text: true };
    expect(checkInput({ Name: 'a', Limit: '10', Ratio: '1.5e3', On: 'false' }, members, failures, text)).toBeTruthy();
    expect(() => checkInput({ Name: 'a', Limit: '1e0' }, members, failures, text)).toThrow(LambdataError);
    expect(() => checkInput({ Name: 'a', On: 'yes' }, members, failures, text)).toThrow(LambdataError);
  });

  it('answers any JSON value with the input or a LambdataError, never anything else', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        try {
          expect(checkInput(body, members, failures)).toBe(body);
        } catch (err) {
          expect(err).toBeInstanceOf(LambdataError);
        }
      }),
      { seed: 20240601, numRuns: 500 },
    );
  });
});

describe('ownOperation', () => {
  it('finds only own entries, never prototype members', () => {
    const table = { Get: () => 1 };
    expect(ownOperation(table, 'Get')).toBe(table.Get);
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(ownOperation(table, name)).toBeUndefined();
    }
  });
});
