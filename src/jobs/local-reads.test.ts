import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../storage/objects/index.js';
import { AttemptSecrets } from './attempt-secrets.js';
import { type GrantFiles, grantAttemptReads } from './local-reads.js';

describe('grantAttemptReads', () => {
  const own = [
    { bucket: 'b', key: 'a' },
    { bucket: 'b', key: 'c' },
    { bucket: 'b', key: 'd' },
  ];
  const store = { bodyPaths: (_bucket: string, keys: readonly string[]) => keys.map((k) => `/store/${k}`) };
  const linked: string[][] = [];
  const grantFiles: GrantFiles = (_requestId, _fn, files) => {
    linked.push(files);
    return files.map((f) => `/var/grants/0${f}`);
  };
  const secrets = new AttemptSecrets();
  const secret = secrets.issue('j1', 'm0', 1, { functionName: 'mapper', objects: own });
  const ask = (objects?: Array<{ bucket: string; key: string }>) =>
    grantAttemptReads(secrets, store as unknown as ObjectStore, grantFiles, 'j1', {
      taskId: 'm0',
      attempt: 1,
      secret,
      requestId: 'r-1',
      ...(objects ? { objects } : {}),
    });

  it('grants every object of the attempt, or only those a request names that are the attempt’s', () => {
    expect(ask().files.map((f) => f.key)).toEqual(['a', 'c', 'd']);
    const some = ask([
      { bucket: 'b', key: 'd' },
      { bucket: 'other', key: 'a' },
      { bucket: 'b', key: 'x' },
      { bucket: 'b', key: 'd' },
      { bucket: 'b', key: 'a' },
    ]);
    expect(some.files).toEqual([
      { bucket: 'b', key: 'd', path: '/var/grants/0/store/d' },
      { bucket: 'b', key: 'a', path: '/var/grants/0/store/a' },
    ]);
    expect(linked.at(-1)).toEqual(['/store/d', '/store/a']);
  });

  it('refuses a malformed list of objects', () => {
    expect(() => ask([{ bucket: 'b' } as { bucket: string; key: string }])).toThrow(/objects must be/);
  });
});
