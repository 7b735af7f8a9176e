import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
    expect(Buffer.from(await client.getObject('fnb', keys[2] as string)).toString()).toBe(keys[2]);
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

  it('streams ranges in socket chunks, and retries a GET once when the server closed the kept-alive connection', async () => {
    const body = Buffer.alloc(300_000, 'x');
    body.write('start', 0);
    await client.putObject('fnb', 'chunks', body);
    const chunks: Buffer[] = [];
    for await (const chunk of client.getObjectChunks('fnb', 'chunks', { start: 0, end: 299_999 })) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(body)).toBe(true);

    // A server that hangs up on the second request of every connection, as an idle-timeout close races a reuse.
    const served = new WeakMap<object, number>();
    const flaky = createServer((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n > 1) {
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-length': '5' }).end('hello');
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = flaky.address() as AddressInfo;
      const near = new S3Client({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        accessKeyId: 'a',
        secretAccessKey: 'b',
      });
      for (let i = 0; i < 3; i++) expect(Buffer.from(await near.getObject('b', 'k')).toString()).toBe('hello');
    } finally {
      flaky.closeAllConnections();
      await new Promise((resolve) => flaky.close(resolve));
    }
  });

  it('fails a GET whose server stalls, before the answer or in the middle of the body, with RequestTimeout', async () => {
    const stalling = createServer((req, res) => {
      if (req.url?.endsWith('/silent')) return; // never answers
      res.writeHead(200, { 'content-length': '1000000' });
      res.write(Buffer.alloc(1000, 'x')); // then nothing more
    });
    await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = stalling.address() as AddressInfo;
      const impatient = new S3Client({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        accessKeyId: 'a',
        secretAccessKey: 'b',
        idleTimeoutMs: 200,
      });
      const started = Date.now();
      await expect(impatient.getObject('b', 'silent')).rejects.toMatchObject({
        name: 'S3Error',
        code: 'RequestTimeout',
      });
      await expect(impatient.getObject('b', 'partial')).rejects.toMatchObject({ code: 'RequestTimeout' });
      const chunks = async () => {
        for await (const _ of impatient.getObjectChunks('b', 'partial'));
      };
      await expect(chunks()).rejects.toMatchObject({ code: 'RequestTimeout' });
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      stalling.closeAllConnections();
      await new Promise((resolve) => stalling.close(resolve));
    }
  });

  it('does not time out a GET whose body keeps arriving, however long it takes in all', async () => {
    const slow = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '10' });
      let sent = 0;
      const timer = setInterval(() => {
        res.write('x');
        if (++sent === 10) {
          clearInterval(timer);
          res.end();
        }
      }, 60);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = slow.address() as AddressInfo;
      const patient = new S3Client({
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        accessKeyId: 'a',
        secretAccessKey: 'b',
        idleTimeoutMs: 250,
      });
      expect(Buffer.from(await patient.getObject('b', 'k')).toString()).toBe('x'.repeat(10));
    } finally {
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
  });
});
