import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { storePackage } from './package.js';

const LIMITS = { zippedBytes: 1024 * 1024, unzippedBytes: 1024 * 1024, offLoopZippedBytes: 256 * 1024 };
/** Every zip unzips on the worker thread. */
const OFF_LOOP = { ...LIMITS, offLoopZippedBytes: 0 };

describe('storePackage', () => {
  const roots: string[] = [];
  const root = () => {
    const dir = mkdtempSync(join(tmpdir(), 'lambdata-pkg-'));
    roots.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of roots.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('stops unpacking a zip bomb at the unpacked limit and leaves nothing behind', async () => {
    const dir = root();
    const bomb = Buffer.from(
      zipSync({ 'a.bin': new Uint8Array(600 * 1024), 'b.bin': new Uint8Array(600 * 1024) }, { level: 9 }),
    );
    expect(bomb.length).toBeLessThan(10 * 1024);
    const err = await storePackage(dir, { zip: bomb }, 'index.handler', LIMITS).catch((e) => e);
    expect(err.code).toBe('InvalidParameterValueException');
    expect(err.message).toMatch(/unzipped size must be smaller than 1048576 bytes/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses a zip over the zipped limit with RequestTooLargeException', async () => {
    const err = await storePackage(
      root(),
      { zip: Buffer.alloc(LIMITS.zippedBytes + 1) },
      'index.handler',
      LIMITS,
    ).catch((e) => e);
    expect(err.code).toBe('RequestTooLargeException');
  });

  it('unpacks nested entries and reports the sha256 of the zip', async () => {
    const zip = Buffer.from(zipSync({ 'lib/': new Uint8Array(0), 'lib/x.js': Buffer.from('module.exports = 1;') }));
    const stored = await storePackage(root(), { zip }, 'lib/x.handler', LIMITS);
    expect(readFileSync(join(stored.codeDir, 'lib/x.js'), 'utf8')).toBe('module.exports = 1;');
    expect(stored.codeSha256).toBe((await import('node:crypto')).createHash('sha256').update(zip).digest('base64'));
    // The same package again reuses the stored directory.
    const again = await storePackage(join(stored.codeDir, '..'), { zip }, 'lib/x.handler', LIMITS);
    expect(again.codeDir).toBe(stored.codeDir);
    expect(existsSync(stored.codeDir)).toBe(true);
  });

  it('reports a TypeScript compile error at deploy time naming the handler file', async () => {
    const zip = Buffer.from(zipSync({ 'app.ts': Buffer.from('export const handler = async () => { return 1 +; };') }));
    const err = await storePackage(root(), { zip }, 'app.handler', LIMITS).catch((e) => e);
    expect(err.code).toBe('InvalidParameterValueException');
    expect(err.message).toMatch(/app\.ts/);
  });

  it('unzips on a worker thread with the same files, modes and refusals', async () => {
    const zip = Buffer.from(zipSync({ 'lib/': new Uint8Array(0), 'lib/x.js': Buffer.from('module.exports = 1;') }));
    // The event loop keeps turning meanwhile (unzipped on the loop, no timer could fire before the answer).
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    const stored = await storePackage(root(), { zip }, 'lib/x.handler', OFF_LOOP).finally(() => clearInterval(ticker));
    expect(turns).toBeGreaterThan(0);
    expect(readFileSync(join(stored.codeDir, 'lib/x.js'), 'utf8')).toBe('module.exports = 1;');
    const bomb = Buffer.from(
      zipSync({ 'a.bin': new Uint8Array(600 * 1024), 'b.bin': new Uint8Array(600 * 1024) }, { level: 9 }),
    );
    const dir = root();
    const tooBig = await storePackage(dir, { zip: bomb }, 'index.handler', OFF_LOOP).catch((e) => e);
    expect(tooBig.code).toBe('InvalidParameterValueException');
    expect(tooBig.message).toMatch(/unzipped size must be smaller than 1048576 bytes/);
    expect(readdirSync(dir)).toEqual([]);
    const escaping = Buffer.from(zipSync({ '../evil.js': Buffer.from('1') }));
    const refused = await storePackage(root(), { zip: escaping }, 'index.handler', OFF_LOOP).catch((e) => e);
    expect(refused.code).toBe('InvalidParameterValueException');
    expect(refused.message).toMatch(/escapes the package directory/);
  });
});
