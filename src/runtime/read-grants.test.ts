import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GRANTS_INSIDE, ReadGrants } from './read-grants.js';

const dirs: string[] = [];

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lambdata-read-grants-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('ReadGrants', () => {
  it('links granted files under fresh names, answers their inside paths, and takes them back', () => {
    const root = dataDir();
    const body = join(root, 'body');
    writeFileSync(body, 'object bytes\n');
    const grants = new ReadGrants(root);
    const host = grants.create('env1');
    const [first, missing, second] = grants.grant('env1', [body, join(root, 'gone'), body]);
    // One subdirectory per invocation holds its links.
    expect(first).toBe(`${GRANTS_INSIDE}/0/1`);
    expect(missing).toBeNull();
    expect(second).toBe(`${GRANTS_INSIDE}/0/3`);
    expect(readFileSync(join(host, '0', '1'), 'utf8')).toBe('object bytes\n');
    expect(statSync(join(host, '0', '1')).ino).toBe(statSync(body).ino); // a link, not a copy
    expect(grants.grant('env1', [body])).toEqual([`${GRANTS_INSIDE}/0/4`]); // same invocation, same directory
    grants.revoke('env1');
    expect(readdirSync(host)).toEqual([]);
    expect(readFileSync(body, 'utf8')).toBe('object bytes\n'); // the store's file stays
    // Names are never reused within an environment's life.
    expect(grants.grant('env1', [body])).toEqual([`${GRANTS_INSIDE}/5/6`]);
    grants.revoke('env1'); // a second invocation's grants go the same way
    expect(readdirSync(host)).toEqual([]);
    grants.remove('env1');
    expect(existsSync(host)).toBe(false);
  });

  it('removes revoked links in the background, leaving the store file the only name of its bytes', async () => {
    const root = dataDir();
    const body = join(root, 'body');
    writeFileSync(body, 'x');
    const grants = new ReadGrants(root);
    grants.create('env1');
    grants.grant(
      'env1',
      Array.from({ length: 50 }, () => body),
    );
    expect(statSync(body).nlink).toBe(51);
    grants.revoke('env1');
    for (let i = 0; i < 100 && statSync(body).nlink > 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(statSync(body).nlink).toBe(1);
  });

  it('grants nothing to an environment it does not know, and clears what a killed engine left', () => {
    const root = dataDir();
    const body = join(root, 'body');
    writeFileSync(body, 'x');
    const first = new ReadGrants(root);
    const host = first.create('env1');
    first.grant('env1', [body]);
    expect(new ReadGrants(root).grant('env1', [body])).toEqual([null]);
    expect(existsSync(host)).toBe(false);
  });
});
