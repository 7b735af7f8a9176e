/**
 * What the server refuses whoever asks: foreign Host names (DNS rebinding), code dirs outside the
 * allowed ones, non-JSON state changes; and which connections it closes (idle, half-sent) while a
 * long answer stays open.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../src/cli/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CALLER = fileURLToPath(new URL('../fixtures/security/caller', import.meta.url));
const IDLE_MS = 800;

let t: TestServer;
let api: ApiClient;
let allowed: string;
let outside: string;

/** A raw HTTP/1.1 request with the given Host header: status and body. */
function withHost(host: string, path: string, headers: Record<string, string> = {}) {
  const { port } = new URL(t.url);
  return new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, ...headers } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a raw connection, writes `text`, and resolves with the ms until the server closed it. */
function closedAfter(text: string): Promise<number> {
  const { port } = new URL(t.url);
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(Number(port), '127.0.0.1', () => {
      if (text) socket.write(text);
    });
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => resolve(Date.now() - started));
  });
}

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'lambdata-codedirs-'));
  allowed = join(root, 'allowed');
  outside = join(root, 'outside');
  for (const dir of [allowed, join(allowed, 'fn'), outside]) mkdirSync(dir);
  writeFileSync(join(allowed, 'fn', 'index.mjs'), 'export const handler = async () => "ok";\n');
  writeFileSync(join(outside, 'index.mjs'), 'export const handler = async () => "secret";\n');
  symlinkSync(outside, join(allowed, 'link'));
  t = await startTestServer(
    'requests',
    {},
    {
      allowCodeDirs: [allowed],
      allowHosts: ['lambdata.test'],
      timeouts: { headers: IDLE_MS, idle: IDLE_MS, keepAlive: IDLE_MS },
    },
  );
  api = new ApiClient(t.url);
  await t.engine.functions.create({ name: 'slow', handler: 'index.slow', code: { dir: CALLER } });
  return () => rmSync(root, { recursive: true, force: true });
});

afterAll(async () => {
  await t?.close();
});

describe('Host names', () => {
  it('refuses a foreign Host on every surface, in each surface’s error shape', async () => {
    const native = await withHost('rebound.attacker.example:4566', '/_lambdata/functions');
    expect(native.status).toBe(403);
    expect(JSON.parse(native.body)).toMatchObject({ error: { code: 'AccessDeniedException' } });
    const s3 = await withHost('rebound.attacker.example', '/some-bucket');
    expect(s3.status).toBe(403);
    expect(s3.body).toContain('<Code>AccessDenied</Code>');
    const lambda = await withHost('rebound.attacker.example', '/2015-03-31/functions/');
    expect(lambda.status).toBe(403);
    expect(JSON.parse(lambda.body)).toMatchObject({ __type: 'AccessDeniedException' });
    expect((await withHost('127.0.0.1.attacker.example', '/_lambdata/functions')).status).toBe(403);
    expect((await withHost('localhost.attacker.example', '/_lambdata/functions')).status).toBe(403);
  });

  it('answers its own names, *.localhost buckets and names allowed with --allow-host', async () => {
    for (const host of ['localhost:1', '127.0.0.1', '127.0.0.2:9', '[::1]:4566', 'lambdata.test:4566', 'LOCALHOST']) {
      expect((await withHost(host, '/_lambdata/functions')).status, host).toBe(200);
    }
    // A virtual-hosted S3 request gets past the Host check to the signature check (an anonymous
    // request to a bucket that does not exist is a 404 NoSuchBucket, as on S3).
    expect((await withHost('books.localhost:4566', '/key.txt')).status).toBe(404);
    t.engine.objects.createBucket('books');
    const bucket = await withHost('books.localhost:4566', '/key.txt');
    expect(bucket.status).toBe(403);
    expect(bucket.body).toContain('carries no AWS Signature');
  });
});

describe('code dirs', () => {
  const deploy = (name: string, dir: string) =>
    api.fetch('PUT', `/functions/${name}`, { handler: 'index.handler', code: { dir } });

  it('refuses directories outside --allow-code-dir, through symlinks and .. too, telling the caller to upload a zip', async () => {
    for (const dir of [
      outside,
      join(allowed, 'link'),
      join(allowed, 'fn', '..', '..', 'outside'),
      '/etc',
      'relative',
    ]) {
      const res = await deploy('stolen', dir);
      expect(res.status, dir).toBe(403);
      const { error } = await res.json();
      expect(error.code).toBe('AccessDeniedException');
      expect(error.message).toContain('zip');
    }
    expect(t.engine.functions.has('stolen')).toBe(false);
  });

  it('deploys from a directory inside an allowed one', async () => {
    const res = await deploy('in-place', join(allowed, 'fn'));
    expect(res.status).toBe(201);
    expect(await api.post('/functions/in-place/invoke', {})).toMatchObject({ payload: 'ok' });
  });
});

describe('state changes', () => {
  it('take only JSON on the native API (no text/plain or form body can invoke)', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await api.fetch('POST', '/functions/slow/invoke', Buffer.from('{"ms":1}'), { 'content-type': type });
      expect(res.status, type).toBe(415);
      expect((await res.json()).error.code).toBe('UnsupportedMediaTypeException');
    }
    const bare = await fetch(`${t.url}/_lambdata/streams`, { method: 'POST' });
    expect(bare.status).toBe(415);
    const recent = await api.get<{ invocations: unknown[] }>('/invocations?function=slow');
    expect(recent.invocations).toEqual([]);
  });

  it('refuses another origin, and a cross-site or same-site fetch that changes state', async () => {
    const json = { 'content-type': 'application/json' };
    const foreign = await api.fetch('POST', '/functions/slow/invoke', Buffer.from('{"ms":1}'), {
      ...json,
      origin: 'http://localhost:3000',
    });
    expect(foreign.status).toBe(403);
    const site = await api.fetch('POST', '/functions/slow/invoke', Buffer.from('{"ms":1}'), {
      ...json,
      'sec-fetch-site': 'same-site',
    });
    expect(site.status).toBe(403);
    const own = await api.fetch('POST', '/functions/slow/invoke', Buffer.from('{"ms":1}'), {
      ...json,
      origin: t.url,
      'sec-fetch-site': 'same-origin',
    });
    expect(own.status).toBe(200);
  });
});

describe('connection timeouts', () => {
  it('closes a connection that sends nothing, half a header block, or half a body', async () => {
    t.engine.objects.createBucket('stalled');
    const [silent, headers, body] = await Promise.all([
      closedAfter(''),
      closedAfter('GET /_lambdata/functions HTTP/1.1\r\nHost: localhost\r\n'),
      closedAfter(
        'PUT /_lambdata/buckets/stalled/objects/k HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nabc',
      ),
    ]);
    for (const ms of [silent, headers, body]) {
      expect(ms).toBeGreaterThanOrEqual(IDLE_MS - 50);
      expect(ms).toBeLessThan(IDLE_MS * 6);
    }
  });

  it('keeps a request whose answer takes longer than the idle limit, and an upload that keeps sending', async () => {
    const slow = await api.post<{ payload: unknown }>('/functions/slow/invoke', { ms: IDLE_MS * 3 });
    expect(slow.payload).toEqual({ slept: IDLE_MS * 3 });
    await api.put('/buckets/uploads');
    const chunks = 6;
    let remaining = chunks;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, IDLE_MS / 2));
        controller.enqueue(new Uint8Array(1024).fill(97));
        if (--remaining === 0) controller.close();
      },
    });
    const res = await api.fetch('PUT', '/buckets/uploads/objects/trickle', body, {
      'content-type': 'application/octet-stream',
    });
    expect(res.status).toBe(200);
    expect(t.engine.objects.headObject('uploads', 'trickle').size).toBe(chunks * 1024);
  });
});
