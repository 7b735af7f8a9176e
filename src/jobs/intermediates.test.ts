import { describe, expect, it } from 'vitest';
import { purgeUnder } from './intermediates.js';
import type { ObjectSource } from './planner.js';

function source(deleteResult: unknown, deleted: unknown[][]): ObjectSource {
  return {
    listObjects: () => ({ objects: [], isTruncated: false }),
    headObject: () => ({ size: 0 }),
    getObject: async () => {
      throw new Error('not read');
    },
    putObject: async () => undefined,
    listObjectVersions: () => ({
      versions: [{ key: 'tmp/a', versionId: 'v1' }, { key: 'tmp/a', versionId: 'v2' }, { key: 'tmp/keep' }],
      isTruncated: false,
    }),
    deleteObjects: (_bucket, keys) => {
      deleted.push(keys);
      return deleteResult;
    },
  };
}

describe('purgeUnder', () => {
  it('deletes every version of the keys it matches, and only those', async () => {
    const deleted: unknown[][] = [];
    const count = await purgeUnder(source([], deleted), 'b', 'tmp/', (key) => key === 'tmp/a');
    expect(count).toBe(2);
    expect(deleted).toEqual([
      [
        { key: 'tmp/a', versionId: 'v1' },
        { key: 'tmp/a', versionId: 'v2' },
      ],
    ]);
  });

  it('throws when the store reports a key it could not delete (the caller keeps its record and retries)', async () => {
    const failure = [{ key: 'tmp/a', deleted: false, error: { code: 'AccessDenied', message: 'no' } }];
    await expect(purgeUnder(source(failure, []), 'b', 'tmp/')).rejects.toMatchObject({ code: 'AccessDenied' });
  });
});
