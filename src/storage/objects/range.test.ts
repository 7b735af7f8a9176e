import { randomBytes } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testContext } from '../../../test/helpers/engine-context.js';
import { ObjectStore } from './object-store.js';
import { parseRange } from './range.js';

describe('parseRange', () => {
  it('parses the forms S3 accepts and ignores the rest', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=95-', 100)).toEqual({ start: 95, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=0-1,5-6', 100)).toBeUndefined();
    expect(parseRange('bytes=9-3', 100)).toBeUndefined();
    expect(parseRange('items=0-1', 100)).toBeUndefined();
    expect(parseRange(undefined, 100)).toBeUndefined();
    for (const bad of ['bytes=100-', 'bytes=100-200', 'bytes=-0']) {
      expect(() => parseRange(bad, 100), bad).toThrow(expect.objectContaining({ code: 'InvalidRange', status: 416 }));
    }
    expect(() => parseRange('bytes=0-', 0)).toThrow(expect.objectContaining({ code: 'InvalidRange' }));
  });
});

describe('ranged reads', () => {
  let ctx: ReturnType<typeof testContext>;
  let store: ObjectStore;
  const data = randomBytes(300_000);

  beforeAll(async () => {
    ctx = testContext('objects');
    store = new ObjectStore(ctx);
    store.createBucket('rng');
    await store.putObject('rng', 'blob', data);
  });
  afterAll(async () => {
    await store.stop();
    ctx.dispose();
  });

  it('serves exactly the Buffer slice for any satisfiable range', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: data.length - 1 }),
        fc.integer({ min: 0, max: data.length + 50 }),
        fc.constantFrom('ab', 'a-', 'suffix'),
        async (a, b, form) => {
          const header = form === 'ab' ? `bytes=${a}-${a + b}` : form === 'a-' ? `bytes=${a}-` : `bytes=-${b + 1}`;
          const { body, range, info } = await store.getObject('rng', 'blob', { range: header });
          const got = await buffer(body);
          const start = form === 'suffix' ? Math.max(0, data.length - (b + 1)) : a;
          const end = form === 'ab' ? Math.min(a + b, data.length - 1) : data.length - 1;
          expect(range).toEqual({ start, end });
          expect(info.size).toBe(data.length);
          expect(got.equals(data.subarray(start, end + 1))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects a range past the end with InvalidRange', async () => {
    await expect(store.getObject('rng', 'blob', { range: `bytes=${data.length}-` })).rejects.toMatchObject({
      code: 'InvalidRange',
    });
  });
});
