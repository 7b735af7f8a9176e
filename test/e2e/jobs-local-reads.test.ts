/**
 * Short-circuit local reads: a map attempt running sandboxed on the engine's host may read its input
 * objects as read-only files instead of over S3. A checking mapper (test/fixtures/jobs/read-grants)
 * takes its grant from inside its sandbox and compares every granted file with what S3 serves, byte
 * for byte, whole and in ranges (a plain object, a multipart one, a gzip-encoded one), and tries to
 * write, remove, add to and reach past its grant. The built-in wordcount, which reads through the same
 * grants, must count exactly what a single pass counts.
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/api/native/contract.js';
import { generateText } from '../../src/jobs/index.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const here = dirname(fileURLToPath(import.meta.url));
const MIB = 1024 * 1024;
const SECRET_TEXT = 'only-the-other-bucket-holds-this-line';

let server: TestServer;
let s3: S3Client;
const bodies = new Map<string, Buffer>();

async function submit(spec: Record<string, unknown>): Promise<JobRecord> {
  const res = await fetch(`${server.url}/_lambdata/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  expect(res.status).toBe(201);
  return server.engine.jobs.wait(((await res.json()) as JobRecord).id);
}

/** A finished job's events (GET …/events replays them, then ends). */
async function jobEvents(id: string): Promise<Array<{ type: string; message?: string }>> {
  const res = await fetch(`${server.url}/_lambdata/jobs/${id}/events`, { headers: { accept: 'text/event-stream' } });
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => JSON.parse(line.slice(5)) as { type: string; message?: string });
}

/** The function log lines a finished job's events carry. */
async function jobLogLines(id: string): Promise<string[]> {
  return (await jobEvents(id)).filter((event) => event.type === 'log').map((event) => event.message ?? '');
}

beforeAll(async () => {
  server = await startTestServer('local-reads');
  s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: server.url, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'grants' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'other' }));
  await s3.send(new PutObjectCommand({ Bucket: 'other', Key: 'secret.txt', Body: `${SECRET_TEXT}\n`.repeat(2000) }));

  const plain = generateText({ seed: 3, bytes: 200 * 1024 });
  await s3.send(new PutObjectCommand({ Bucket: 'grants', Key: 'in/plain.txt', Body: plain }));
  bodies.set('in/plain.txt', plain);

  const encoded = gzipSync(generateText({ seed: 4, bytes: 400 * 1024 }));
  await s3.send(
    new PutObjectCommand({ Bucket: 'grants', Key: 'in/encoded.txt', Body: encoded, ContentEncoding: 'gzip' }),
  );
  bodies.set('in/encoded.txt', encoded);

  const parts = [generateText({ seed: 5, bytes: 5 * MIB }), generateText({ seed: 6, bytes: MIB + 123 })];
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'grants', Key: 'in/multi.txt' }));
  const etags: string[] = [];
  for (const [i, body] of parts.entries()) {
    const part = await s3.send(
      new UploadPartCommand({ Bucket: 'grants', Key: 'in/multi.txt', UploadId, PartNumber: i + 1, Body: body }),
    );
    etags.push(part.ETag as string);
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: 'grants',
      Key: 'in/multi.txt',
      UploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
    }),
  );
  bodies.set('in/multi.txt', Buffer.concat(parts));

  await server.engine.functions.create({
    name: 'read-grants',
    handler: 'index.handler',
    code: { dir: join(here, '../fixtures/jobs/read-grants') },
  });
  await server.engine.jobs.deployBuiltins();
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  await server?.close();
});

describe('short-circuit local reads', () => {
  it('grants an attempt exactly its objects, read-only, byte for byte what S3 serves', async () => {
    const job = await submit({
      mapper: 'read-grants',
      input: { bucket: 'grants', prefix: 'in/' },
      format: 'text',
      params: { dataDir: server.dir, secretText: SECRET_TEXT },
    });
    expect(job.error).toBeNull();
    const c = job.result?.custom as Record<string, number>;
    const tasks = job.counters.tasksDone;
    expect(c.splits).toBeGreaterThanOrEqual(bodies.size);
    expect(c.forgedRefused).toBe(tasks);
    expect(c.dataDirSeen).toBe(0);
    if (server.engine.runtime.sandbox.level === 'process') {
      // No sandbox to link into: every read stays on S3 (the fallback), and nothing is granted.
      expect(c.granted).toBe(0);
      return;
    }
    expect(c.granted).toBe(bodies.size);
    expect(c.listed).toBe(bodies.size);
    expect(c.foreign).toBe(0);
    expect(c.same).toBe(bodies.size);
    expect(c.differ).toBe(0);
    expect(c.rangesSame).toBe(4 * bodies.size);
    expect(c.rangesDiffer).toBe(0);
    expect(c.writeRefused).toBe(bodies.size);
    expect(c.unlinkRefused).toBe(bodies.size);
    expect(c.createRefused).toBe(tasks);
    expect(c.secretSeen).toBe(0);
    // Every grant ended with its invocation: no environment's directory holds anything, and the
    // revoked links are removed from the host (in the background).
    const root = join(server.dir, 'tmp', 'grants');
    for (const dir of readdirSync(root).filter((d) => d !== '.revoked'))
      expect(readdirSync(join(root, dir))).toEqual([]);
    const linksLeft = () =>
      readdirSync(root, { recursive: true }).filter((p) => statSync(join(root, String(p))).isFile()).length;
    for (let i = 0; i < 100 && linksLeft() > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(linksLeft()).toBe(0);
    // And an attempt's own secret, which got its grant while it ran, grants nothing once it is over.
    const events = await jobEvents(job.id);
    const asked = events
      .filter((event) => event.type === 'log' && event.message?.includes('attempt grant '))
      .map((event) => event.message ?? '')
      .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as Record<string, unknown>);
    // One grant request per attempt: on a loaded machine a slow task also gets a backup attempt.
    expect(asked.length).toBeGreaterThanOrEqual(tasks);
    expect(asked.length).toBeLessThanOrEqual(events.filter((event) => event.type === 'task.dispatched').length);
    for (const request of asked) {
      const late = await fetch(`${server.url}/_lambdata/jobs/${job.id}/reads`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
      expect(late.status).toBe(403);
      expect(((await late.json()) as { error: { code: string } }).error.code).toBe('AccessDeniedException');
    }
  }, 180_000);

  it('counts exactly through granted files (wordcount over the plain and multipart objects)', async () => {
    const job = await submit({
      mapper: 'wordcount',
      input: { bucket: 'grants', keys: ['in/plain.txt', 'in/multi.txt'] },
    });
    expect(job.status).toBe('succeeded');
    const words = ['in/plain.txt', 'in/multi.txt']
      .map(
        (key) =>
          (bodies.get(key) as Buffer)
            .toString('latin1')
            .split(/[ \t\n\r\v\f]+/)
            .filter(Boolean).length,
      )
      .reduce((a, b) => a + b, 0);
    expect(words).toBeGreaterThan(100_000);
    expect(job.result?.totals.words).toBe(words);
    // Each attempt logs which path its objects took: all through granted files, none over S3.
    const events = await jobEvents(job.id);
    const paths = events
      .filter((event) => event.type === 'log')
      .map((event) => /local reads: (\d+) objects from granted files, (\d+) over S3/.exec(event.message ?? ''))
      .filter((m) => m !== null)
      .map((m) => ({ local: Number(m[1]), s3: Number(m[2]) }));
    if (server.engine.runtime.sandbox.level === 'process') {
      expect(paths).toEqual([]); // no sandbox: local reads are not offered
      return;
    }
    // One line per attempt that ended in the job: each task's, and on a loaded machine perhaps a
    // straggler's backup too, which reads the same objects through its own grant.
    const attempts = events.filter((event) => event.type === 'task.dispatched').length;
    expect(paths.length).toBeGreaterThanOrEqual(job.counters.tasksDone);
    expect(paths.length).toBeLessThanOrEqual(attempts);
    for (const path of paths) expect(path).toEqual({ local: expect.any(Number), s3: 0 });
    for (const path of paths) expect(path.local).toBeGreaterThan(0);
    const local = paths.reduce((n, p) => n + p.local, 0);
    if (paths.length === job.counters.tasksDone) expect(local).toBe(2);
    else expect(local).toBeGreaterThan(2);
  }, 180_000);

  it('grants a task of hundreds of objects in pieces, every object read from its file', async () => {
    // 300 objects of 20 KB (past the size inlined into task events), one task: the mapper asks for
    // its first 16, then 256, then the last 28 while it reads.
    const keys: string[] = [];
    let words = 0;
    for (let i = 0; i < 300; i++) {
      const key = `many/${String(i).padStart(3, '0')}.txt`;
      const body = generateText({ seed: 100 + i, bytes: 20 * 1024 });
      words += body
        .toString('latin1')
        .split(/[ \t\n\r\v\f]+/)
        .filter(Boolean).length;
      await s3.send(new PutObjectCommand({ Bucket: 'grants', Key: key, Body: body }));
      keys.push(key);
    }
    const job = await submit({ mapper: 'wordcount', input: { bucket: 'grants', prefix: 'many/' }, taskSize: 64 * MIB });
    expect(job.status).toBe('succeeded');
    expect(job.counters.tasksDone).toBe(1);
    expect(job.result?.totals.words).toBe(words);
    const paths = (await jobLogLines(job.id))
      .map((line) => /local reads: (\d+) objects from granted files, (\d+) over S3/.exec(line))
      .filter((m) => m !== null)
      .map((m) => ({ local: Number(m[1]), s3: Number(m[2]) }));
    if (server.engine.runtime.sandbox.level === 'process') {
      expect(paths).toEqual([]);
      return;
    }
    expect(paths).toEqual([{ local: keys.length, s3: 0 }]);
  }, 180_000);
});
