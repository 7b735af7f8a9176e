import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testContext } from '../../../test/helpers/engine-context.js';
import { ObjectStore } from './object-store.js';
import type { ListOptions } from './types.js';

let ctx: ReturnType<typeof testContext>;
let store: ObjectStore;
let bucketCount = 0;

beforeAll(() => {
  ctx = testContext('objects');
  store = new ObjectStore(ctx);
});
afterAll(async () => {
  await store.stop();
  ctx.dispose();
});

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The model: S3's listing over a sorted array, entries compared as UTF-8 bytes. */
function modelPage(keys: string[], options: ListOptions) {
  const { prefix = '', delimiter, startAfter, maxKeys = 1000 } = options;
  const entries = new Map<string, 'object' | 'prefix'>();
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    if (startAfter !== undefined && byteOrder(key, startAfter) <= 0) continue;
    const at = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (at >= 0 && delimiter) entries.set(key.slice(0, at + delimiter.length), 'prefix');
    else entries.set(key, 'object');
  }
  const sorted = [...entries]
    .filter(([name]) => startAfter === undefined || byteOrder(name, startAfter) > 0)
    .sort(([a], [b]) => byteOrder(a, b));
  const page = sorted.slice(0, maxKeys);
  return {
    objects: page.filter(([, kind]) => kind === 'object').map(([name]) => name),
    commonPrefixes: page.filter(([, kind]) => kind === 'prefix').map(([name]) => name),
    isTruncated: sorted.length > maxKeys,
  };
}

const alphabet = fc.constantFrom('a', 'b', '/', '-', 'é', '\u{1F600}', '\uFFFD', 'Z', '~', '\u0000');
const keyArb = fc.array(alphabet, { minLength: 1, maxLength: 6 }).map((chars) => chars.join(''));
const fragment = fc.array(alphabet, { maxLength: 3 }).map((chars) => chars.join(''));

describe('listObjects', () => {
  it('matches the sorted-array model, page by page, in UTF-8 byte order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(keyArb, { maxLength: 40 }),
        fragment,
        fc.option(fc.constantFrom('/', '-', 'é', 'ab'), { nil: undefined }),
        fc.option(fragment, { nil: undefined }),
        fc.integer({ min: 1, max: 7 }),
        async (keys, prefix, delimiter, startAfter, maxKeys) => {
          const bucket = `prop-${++bucketCount}`;
          store.createBucket(bucket);
          for (const key of keys) await store.putObject(bucket, key, key);
          const base: ListOptions = { prefix, ...(delimiter ? { delimiter } : {}) };
          // One page straight from start-after.
          const page = store.listObjects(bucket, { ...base, ...(startAfter ? { startAfter } : {}), maxKeys });
          const expected = modelPage(keys, { ...base, ...(startAfter ? { startAfter } : {}), maxKeys });
          expect(page.objects.map((o) => o.key)).toEqual(expected.objects);
          expect(page.commonPrefixes).toEqual(expected.commonPrefixes);
          expect(page.isTruncated).toBe(expected.isTruncated);
          // Paging through with nextStartAfter yields exactly the whole listing once.
          const all = modelPage(keys, { ...base, maxKeys: 1_000_000 });
          const seen = { objects: [] as string[], commonPrefixes: [] as string[] };
          let cursor: string | undefined;
          for (let guard = 0; guard < 100; guard++) {
            const p = store.listObjects(bucket, { ...base, maxKeys, ...(cursor ? { startAfter: cursor } : {}) });
            seen.objects.push(...p.objects.map((o) => o.key));
            seen.commonPrefixes.push(...p.commonPrefixes);
            if (!p.isTruncated) break;
            expect(p.nextStartAfter).toBeDefined();
            cursor = p.nextStartAfter;
          }
          expect(seen).toEqual({ objects: all.objects, commonPrefixes: all.commonPrefixes });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('caps max-keys at 1000 and rejects negatives', async () => {
    store.createBucket('many');
    const keys = Array.from({ length: 1005 }, (_, i) => `k${String(i).padStart(4, '0')}`);
    await Promise.all(keys.map((key) => store.putObject('many', key, '')));
    const page = store.listObjects('many', { maxKeys: 5000 });
    expect(page.objects).toHaveLength(1000);
    expect(page.isTruncated).toBe(true);
    expect(page.nextStartAfter).toBe('k0999');
    expect(store.listObjects('many', { startAfter: 'k0999' }).objects.map((o) => o.key)).toEqual(keys.slice(1000));
    expect(() => store.listObjects('many', { maxKeys: -1 })).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
    expect(store.listObjects('many', { maxKeys: 0 })).toMatchObject({ objects: [], isTruncated: true });
  });
});
