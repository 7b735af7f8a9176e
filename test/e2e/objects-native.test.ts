import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';

let engine: Engine;
let server: Awaited<ReturnType<typeof startServer>>;
let root: string;
let dataDir: string;
let api: string;

beforeAll(async () => {
  // The data dir sits one level down, so a key that escaped it would land in `root` where we can see it.
  root = mkdtempSync(join(tmpdir(), 'lambdata-objects-native-'));
  dataDir = join(root, 'data');
  engine = await createEngine({ dataDir });
  server = await startServer(engine, { port: 0 });
  api = `${server.url}/_lambdata`;
});
afterAll(async () => {
  await server.close();
  await engine.close();
  rmSync(root, { recursive: true, force: true });
});

/**
 * URL path of a key, slashes encoded too so clients cannot resolve `..` segments. Keys that are only
 * dots ('.', '..') cannot travel in a URL path at all (clients normalize them), so those go through the library.
 */
const keyPath = (key: string) => encodeURIComponent(key);
const urlSafe = (key: string) => !/^\.{1,2}$/.test(key);

const HOSTILE_KEYS = [
  '../../etc/passwd',
  '/abs',
  'a/../b',
  'a/./b',
  '%2F',
  'x%2F..%2F..%2Fy',
  '..',
  '.',
  'dir/',
  'sp ace+plus?&#',
  'emoji-😀/ünï',
  `${'k'.repeat(1020)}.bin`,
  `${'é'.repeat(511)}ab`,
];

describe('native objects API', () => {
  it('creates, lists and deletes buckets', async () => {
    expect((await fetch(`${api}/buckets/native`, { method: 'PUT' })).status).toBe(200);
    const dup = await fetch(`${api}/buckets/native`, { method: 'PUT' });
    expect(dup.status).toBe(409);
    expect(((await dup.json()) as { error: { code: string } }).error.code).toBe('BucketAlreadyOwnedByYou');
    expect((await fetch(`${api}/buckets/_bad`, { method: 'PUT' })).status).toBe(400);
    const { buckets } = (await (await fetch(`${api}/buckets`)).json()) as { buckets: Array<{ name: string }> };
    expect(buckets.map((b) => b.name)).toContain('native');
  });

  it('stores hostile keys exactly, as data, never as paths', async () => {
    for (const key of HOSTILE_KEYS.filter((k) => !urlSafe(k))) {
      await engine.objects.putObject('native', key, `body of ${key}`);
      expect(engine.objects.headObject('native', key).key).toBe(key);
    }
    for (const key of HOSTILE_KEYS.filter(urlSafe)) {
      const body = `body of ${key}`;
      const put = await fetch(`${api}/buckets/native/objects/${keyPath(key)}`, {
        method: 'PUT',
        body,
        headers: { 'content-type': 'text/plain' },
      });
      expect(put.status, key).toBe(200);
      expect(((await put.json()) as { key: string }).key).toBe(key);
      const get = await fetch(`${api}/buckets/native/objects/${keyPath(key)}`);
      expect(await get.text(), key).toBe(body);
    }
    const listed = (await (await fetch(`${api}/buckets/native/objects`)).json()) as { objects: Array<{ key: string }> };
    const byteOrder = [...HOSTILE_KEYS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(listed.objects.map((o) => o.key)).toEqual(byteOrder);
    // Nothing was created outside the data dir, and inside it only generated names exist.
    expect(readdirSync(root)).toEqual(['data']);
    const files = readdirSync(join(dataDir, 'objects'), { recursive: true }) as string[];
    for (const file of files) expect(file).toMatch(/^native(\/(tmp|data|uploads)(\/[0-9a-f]{2}(\/[0-9a-f]{32})?)?)?$/);
    expect(existsSync(join(root, 'etc'))).toBe(false);
    for (const key of HOSTILE_KEYS) {
      const path = engine.objects.bodyPath('native', key);
      expect(relative(join(dataDir, 'objects'), path).startsWith('..')).toBe(false);
    }
  });

  it('looks up many body files at once: the current file of each key (after an overwrite too), undefined for a missing key', async () => {
    for (const key of ['bulk/a', 'bulk/b']) {
      const res = await fetch(`${api}/buckets/native/objects/${keyPath(key)}`, { method: 'PUT', body: key });
      expect(res.status).toBe(200);
    }
    const first = engine.objects.bodyPath('native', 'bulk/a');
    expect((await fetch(`${api}/buckets/native/objects/bulk%2Fa`, { method: 'PUT', body: 'again' })).status).toBe(200);
    const paths = engine.objects.bodyPaths('native', ['bulk/a', 'bulk/missing', 'bulk/b', '../../etc/passwd']);
    expect(paths).toEqual([
      engine.objects.bodyPath('native', 'bulk/a'),
      undefined,
      engine.objects.bodyPath('native', 'bulk/b'),
      engine.objects.bodyPath('native', '../../etc/passwd'),
    ]);
    expect(paths[0]).not.toBe(first);
    expect(() => engine.objects.bodyPaths('no-such-bucket', ['bulk/a'])).toThrow(
      expect.objectContaining({ code: 'NoSuchBucket' }),
    );
  });

  it('rejects keys over 1024 bytes', async () => {
    const res = await fetch(`${api}/buckets/native/objects/${'k'.repeat(1025)}`, { method: 'PUT', body: 'x' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('KeyTooLongError');
  });

  it('streams bodies with ranges, info, listing with delimiters and downloads', async () => {
    const data = randomBytes(200_000);
    const put = await fetch(`${api}/buckets/native/objects/logs/2024/a.bin`, {
      method: 'PUT',
      body: data,
      headers: { 'content-type': 'application/x-bin', 'x-amz-meta-Source': 'test' },
    });
    const info = (await put.json()) as { etag: string; size: number; metadata: Record<string, string> };
    expect(info).toMatchObject({ size: data.length, metadata: { source: 'test' } });
    expect(info.etag).toBe(`"${createHash('md5').update(data).digest('hex')}"`);

    const ranged = await fetch(`${api}/buckets/native/objects/logs/2024/a.bin`, {
      headers: { range: 'bytes=100-199' },
    });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 100-199/${data.length}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);
    const unsatisfiable = await fetch(`${api}/buckets/native/objects/logs/2024/a.bin`, {
      headers: { range: 'bytes=999999-' },
    });
    expect(unsatisfiable.status).toBe(416);
    await unsatisfiable.arrayBuffer();

    const full = await fetch(`${api}/buckets/native/objects/logs/2024/a.bin?download=1`);
    expect(full.headers.get('content-disposition')).toBe("attachment; filename*=UTF-8''a.bin");
    expect(full.headers.get('etag')).toBe(info.etag);
    expect(full.headers.get('content-length')).toBe(String(data.length));
    expect(Buffer.from(await full.arrayBuffer()).equals(data)).toBe(true);

    const described = (await (await fetch(`${api}/buckets/native/object-info/logs/2024/a.bin`)).json()) as Record<
      string,
      unknown
    >;
    expect(described).toMatchObject({ key: 'logs/2024/a.bin', contentType: 'application/x-bin' });

    const page = (await (
      await fetch(`${api}/buckets/native/objects?prefix=logs/&delimiter=/&maxKeys=5`)
    ).json()) as Record<string, unknown>;
    expect(page).toEqual({ objects: [], commonPrefixes: ['logs/2024/'], isTruncated: false });

    expect((await fetch(`${api}/buckets/native/objects/logs/2024/a.bin`, { method: 'DELETE' })).status).toBe(204);
    const gone = await fetch(`${api}/buckets/native/object-info/logs/2024/a.bin`);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('NoSuchKey');
  });

  it('reads and writes notification configuration', async () => {
    await engine.functions.create({
      name: 'some-fn',
      handler: 'index.handler',
      code: { dir: fileURLToPath(new URL('../fixtures/objects/recorder', import.meta.url)) },
    });
    const cfg = {
      lambdaFunctionConfigurations: [{ id: 'n1', functionArn: 'some-fn', events: ['s3:ObjectCreated:*'] }],
    };
    const put = await fetch(`${api}/buckets/native/notifications`, { method: 'PUT', body: JSON.stringify(cfg) });
    expect(put.status).toBe(200);
    expect(await (await fetch(`${api}/buckets/native/notifications`)).json()).toEqual(cfg);
    const bad = await fetch(`${api}/buckets/native/notifications`, {
      method: 'PUT',
      body: JSON.stringify({ lambdaFunctionConfigurations: [{ functionArn: 'f', events: ['s3:Bogus'] }] }),
    });
    expect(bad.status).toBe(400);
    const missing = await fetch(`${api}/buckets/native/notifications`, {
      method: 'PUT',
      body: JSON.stringify({
        lambdaFunctionConfigurations: [{ functionArn: 'ghost', events: ['s3:ObjectCreated:*'] }],
      }),
    });
    expect(missing.status).toBe(400);
    expect(await (await fetch(`${api}/buckets/native/notifications`)).json()).toEqual(cfg);
    await engine.functions.delete('some-fn');
  });
});
