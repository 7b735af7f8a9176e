import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buffer } from 'node:stream/consumers';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine.js';

const WRITER = join(import.meta.dirname, '../fixtures/objects/crash-writer.mjs');
const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-objects-crash-'));
const versionedDir = mkdtempSync(join(tmpdir(), 'lambdata-objects-crash-versioned-'));
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(versionedDir, { recursive: true, force: true });
});

/** Runs the crash writer on `dir` until it acknowledged `count` writes, then kill -9s it; returns its lines. */
async function writeUntilKilled(dir: string, count: number, ...args: string[]): Promise<string[][]> {
  const child = spawn(process.execPath, [WRITER, dir, ...args], {
    env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acknowledged: string[][] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve) => {
    lines.on('line', (line) => {
      acknowledged.push(line.split(' '));
      if (acknowledged.length === count) {
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  await exited;
  return acknowledged;
}

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('object store crash safety', () => {
  it('keeps every acknowledged object intact after kill -9 and shows nothing partial', async () => {
    expect(existsSync(join(import.meta.dirname, '../../dist/storage/objects/index.js')), 'run npm run build').toBe(
      true,
    );
    const child = spawn(process.execPath, [WRITER, dataDir], {
      env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const acknowledged = new Map<string, { md5: string; size: number }>();
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const lines = createInterface({ input: child.stdout });
    await new Promise<void>((resolve) => {
      lines.on('line', (line) => {
        const [key = '', md5 = '', size = '0'] = line.split(' ');
        acknowledged.set(key, { md5, size: Number(size) });
        if (acknowledged.size === 150) {
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await exited;
    expect(acknowledged.size).toBeGreaterThanOrEqual(150);

    const engine = await createEngine({ dataDir, background: false });
    try {
      await engine.objects.start();
      // Every acknowledged object reads back whole. A key overwritten after its last ack line holds the
      // body of a later put, which must itself be whole: its ETag equals the MD5 of what is read.
      for (const [key, expected] of acknowledged) {
        const { info, body } = await engine.objects.getObject('crash', key);
        const bytes = await buffer(body);
        const md5 = createHash('md5').update(bytes).digest('hex');
        expect(info.etag).toBe(`"${md5}"`);
        expect(bytes.length).toBe(info.size);
        if (!key.startsWith('hot/')) expect({ md5, size: bytes.length }).toEqual(expected);
      }
      // Nothing partial or unreferenced is left: every body file belongs to exactly one listed object.
      const listed = engine.objects.listObjects('crash').objects;
      for (const info of listed) {
        const bytes = await buffer((await engine.objects.getObject('crash', info.key)).body);
        expect(`"${createHash('md5').update(bytes).digest('hex')}"`).toBe(info.etag);
      }
      const bodies = new Set(listed.map((info) => engine.objects.bodyPath('crash', info.key)));
      const onDisk = filesUnder(join(dataDir, 'objects', 'crash'));
      expect(onDisk.filter((file) => !bodies.has(file))).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});

describe('versioned object store crash safety', () => {
  it('keeps every acknowledged version and delete marker after kill -9, and no body without a version', async () => {
    const acknowledged = await writeUntilKilled(versionedDir, 200, 'versioned');
    expect(acknowledged.length).toBeGreaterThanOrEqual(200);
    const engine = await createEngine({ dataDir: versionedDir, background: false });
    try {
      await engine.objects.start();
      expect(engine.objects.getBucketVersioning('crash')).toBe('Enabled');
      for (const [key = '', md5 = '', size = '0', versionId = ''] of acknowledged) {
        if (md5 === '-') {
          // A delete marker: reading it by id is MethodNotAllowed, as S3 answers.
          expect(() => engine.objects.headObject('crash', key, { versionId })).toThrow(
            expect.objectContaining({ code: 'MethodNotAllowed' }),
          );
          continue;
        }
        const { info, body } = await engine.objects.getObject('crash', key, { versionId });
        const bytes = await buffer(body);
        expect({ md5: createHash('md5').update(bytes).digest('hex'), size: bytes.length, v: info.versionId }).toEqual({
          md5,
          size: Number(size),
          v: versionId,
        });
      }
      // Every version listed reads back whole, and every body file on disk is one of them.
      let bodies = 0;
      let keyMarker: string | undefined;
      let versionIdMarker: string | undefined;
      for (;;) {
        const page = engine.objects.listObjectVersions('crash', { keyMarker, versionIdMarker });
        for (const version of page.versions.filter((v) => !v.deleteMarker)) {
          const { info, body } = await engine.objects.getObject('crash', version.key, { versionId: version.versionId });
          expect(
            `"${createHash('md5')
              .update(await buffer(body))
              .digest('hex')}"`,
          ).toBe(info.etag);
          bodies++;
        }
        if (!page.isTruncated) break;
        keyMarker = page.nextKeyMarker;
        versionIdMarker = page.nextVersionIdMarker;
      }
      expect(filesUnder(join(versionedDir, 'objects', 'crash', 'data'))).toHaveLength(bodies);
      expect(filesUnder(join(versionedDir, 'objects', 'crash', 'tmp'))).toEqual([]);
    } finally {
      await engine.close();
    }
  });
});
