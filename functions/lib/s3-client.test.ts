import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/index.js';
import { startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { encodeKey, fromEnvironment, S3Client } from './s3-client.js';

let dataDir: string;
let engine: Engine;
let server: RunningServer;
let client: S3Client;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'lambdata-s3-client-'));
  engine = await createEngine({ dataDir, background: false });
  server = await startServer(engine, { port: 0 });
  engine.objects.createBucket('fnb');
  client = new S3Client(fromEnvironment({ AWS_ENDPOINT_URL: server.url, AWS_REGION: 'us-east-1' }));
});

afterAll(async () => {
  await server?.close();
  await engine?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('s3-client against the engine', () => {
  it('puts, heads, reads ranges, streams and deletes', async () => {
    const { etag } = await client.putObject('fnb', 'in/data.txt', 'line one\nline two\n', {
      contentType: 'text/plain',
    });
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const head = await client.headObject('fnb', 'in/data.txt');
    expect(head).toMatchObject({ size: 18, etag, contentType: 'text/plain' });
    expect(Buffer.from(await client.getObject('fnb', 'in/data.txt', { start: 5, end: 7 })).toString()).toBe('one');
    expect(Buffer.from(await client.getObject('fnb', 'in/data.txt', { start: 9 })).toString()).toBe('line two\n');
    const chunks: Buffer[] = [];
    for await (const chunk of (await client.getObjectStream(
      'fnb',
      'in/data.txt',
    )) as unknown as AsyncIterable<Uint8Array>) {
      chunks.push(Buffer.from(chunk));
    }
    expect(Buffer.concat(chunks).toString()).toBe('line one\nline two\n');
    await client.deleteObject('fnb', 'in/data.txt');
    await expect(client.headObject('fnb', 'in/data.txt')).rejects.toMatchObject({ code: 'NotFound', status: 404 });
    await expect(client.getObject('fnb', 'in/data.txt')).rejects.toMatchObject({ code: 'NoSuchKey', status: 404 });
  });

  it('streams an async iterable body', async () => {
    async function* parts() {
      for (let i = 0; i < 50; i++) yield Buffer.alloc(10_000, 65 + (i % 26));
    }
    await client.putObject('fnb', 'streamed', parts());
    expect((await client.headObject('fnb', 'streamed')).size).toBe(500_000);
    await client.putObject('fnb', 'streamed-sized', parts(), { contentLength: 500_000 });
    expect((await client.headObject('fnb', 'streamed-sized')).size).toBe(500_000);
  });

  it('lists page by page and all at once, with awkward keys', async () => {
    const keys = Array.from({ length: 7 }, (_, i) => `list/${i} é+&?=#%`);
    for (const key of keys) await client.putObject('fnb', key, key);
    const first = await client.listObjects('fnb', { prefix: 'list/', maxKeys: 3 });
    expect(first.keys.map((k) => k.key)).toEqual(keys.slice(0, 3));
    expect(first.nextContinuationToken).toBeTruthy();
    const second = await client.listObjects('fnb', {
      prefix: 'list/',
      maxKeys: 3,
      continuationToken: first.nextContinuationToken,
    });
    expect(second.keys.map((k) => k.key)).toEqual(keys.slice(3, 6));
    const all: string[] = [];
    for await (const item of client.listAll('fnb', 'list/')) all.push(item.key);
    expect(all).toEqual(keys);
    expect(Buffer.from(await client.getObject('fnb', keys[2]!)).toString()).toBe(keys[2]);
  });

  it('reports S3 error codes', async () => {
    await expect(client.listObjects('nope-bucket')).rejects.toMatchObject({ code: 'NoSuchBucket' });
    const wrong = new S3Client({
      endpoint: server.url,
      region: 'us-east-1',
      accessKeyId: 'test',
      secretAccessKey: 'bad',
    });
    await expect(wrong.putObject('fnb', 'x', 'x')).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      status: 403,
    });
  });

  it('encodes keys per RFC 3986, keeping slashes', () => {
    expect(encodeKey("a b/c+d(e)!*'")).toBe('a%20b/c%2Bd%28e%29%21%2A%27');
  });
});
