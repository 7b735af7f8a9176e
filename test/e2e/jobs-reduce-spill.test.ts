/**
 * Bounded-memory reduce at its real budget: one partition of tens of MB of intermediates (millions of
 * distinct words, whose in-memory state would be several times the reducer's 128 MB) is reduced by the
 * built-in reducer at 128 MB, spilling sorted runs to the store and merging them. Every object the
 * functions upload goes through an S3 front that answers a PUT of unknown length as AWS does (411
 * MissingContentLength), so a spill works only if each upload is sized.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const WORDS = 1_500_000;
const OBJECTS = 6;
const PER_LINE = 12;
const COMMON_EVERY = 10;

/** One request as it reached the S3 front. */
interface SeenRequest {
  method: string;
  path: string;
  contentLength?: string;
  decodedLength?: string;
  status: number;
}

let t: TestServer;
let engine: Engine;
let front: Server;
const seen: SeenRequest[] = [];

/**
 * A pass-through HTTP front for the engine that refuses, as S3 does, an upload without Content-Length
 * (unless it is aws-chunked with x-amz-decoded-content-length), and notes every request.
 */
function startFront(target: URL): Promise<Server> {
  const server = createServer((req, res) => {
    const entry: SeenRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      contentLength: req.headers['content-length'],
      decodedLength: req.headers['x-amz-decoded-content-length'] as string | undefined,
      status: 0,
    };
    seen.push(entry);
    if (req.method === 'PUT' && entry.contentLength === undefined && entry.decodedLength === undefined) {
      entry.status = 411;
      req.resume();
      res.writeHead(411, { 'content-type': 'application/xml' });
      res.end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>MissingContentLength</Code>' +
          '<Message>You must provide the Content-Length HTTP header.</Message></Error>',
      );
      return;
    }
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        entry.status = answer.statusCode ?? 0;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Input objects: every word `w<n>` once (n < WORDS, in base 36) and `common` once per COMMON_EVERY words. */
function inputObject(o: number): Buffer {
  const lines: string[] = [];
  const per = WORDS / OBJECTS;
  let line: string[] = [];
  for (let n = o * per; n < (o + 1) * per; n++) {
    line.push(`w${n.toString(36)}`);
    if (n % COMMON_EVERY === 0) line.push('common');
    if (line.length >= PER_LINE) {
      lines.push(line.join(' '));
      line = [];
    }
  }
  if (line.length > 0) lines.push(line.join(' '));
  return Buffer.from(`${lines.join('\n')}\n`);
}

beforeAll(async () => {
  t = await startTestServer('reduce-spill');
  engine = t.engine;
  front = await startFront(new URL(t.url));
  // Functions reach the engine (S3, progress) only through the front.
  engine.setEndpoint(`http://127.0.0.1:${(front.address() as AddressInfo).port}`);
  engine.objects.createBucket('words');
  for (let o = 0; o < OBJECTS; o++) await engine.objects.putObject('words', `in/${o}.txt`, inputObject(o));
  await engine.jobs.deployBuiltins(['wordfreq', 'reducer', 'cascade']);
  // 128 MB, with a heap that leaves room for what is not heap (code, buffers, the runtime): V8 lets
  // garbage grow to its old-space limit before it collects hard, and the engine counts resident memory.
  engine.functions.updateConfig('reducer', {
    memoryMb: 128,
    environment: { NODE_OPTIONS: '--max-semi-space-size=4 --max-old-space-size=80' },
  });
}, 120_000);

afterAll(async () => {
  await new Promise<void>((resolve) => (front ? front.close(() => resolve()) : resolve()));
  await t?.close();
});

describe('bounded-memory reduce', () => {
  it('reduces a partition of tens of MB at 128 MB with sized spill uploads, exactly', async () => {
    const started = Date.now();
    const job = engine.jobs.submit({ mapper: 'wordfreq', input: { bucket: 'words', prefix: 'in/' }, partitions: 1 });
    const done = await engine.jobs.wait(job.id);
    expect(done.error).toBeNull();
    const wallMs = Date.now() - started;

    // The reducer ran at 128 MB and spilled runs.
    const reducers = engine.invocations.recent({ functionName: 'reducer', limit: 10 });
    expect(reducers).toHaveLength(1);
    expect(reducers[0]?.memorySizeMb).toBe(128);
    expect(reducers[0]?.maxMemoryUsedMb).toBeLessThanOrEqual(128);
    expect(reducers[0]?.outcome).toBe('success');
    expect(done.result?.spill?.runs).toBeGreaterThanOrEqual(3);
    expect(done.result?.spill?.bytes).toBeGreaterThan(15 * 1024 * 1024);

    // Every upload carried its length; none was refused.
    const puts = seen.filter((r) => r.method === 'PUT');
    const spills = puts.filter((r) => r.path.includes('/spill/r'));
    expect(spills.length).toBe(done.result?.spill?.runs);
    expect(puts.every((r) => r.contentLength !== undefined && r.status === 200)).toBe(true);

    // The output holds each word once, in order, with its exact count.
    expect(done.result?.distinctWords).toBe(WORDS + 1);
    let previous = '';
    let lines = 0;
    let total = 0;
    for (const key of done.result?.output?.keys ?? []) {
      const body = Readable.from((await engine.objects.getObject('words', key)).body);
      for await (const line of createInterface({ input: body, crlfDelay: Number.POSITIVE_INFINITY })) {
        if (!line) continue;
        const [word, count] = line.split('\t') as [string, string];
        expect(word > previous).toBe(true);
        previous = word;
        lines++;
        total += Number(count);
        if (word === 'common') expect(Number(count)).toBe(WORDS / COMMON_EVERY);
        else if (!/^w[0-9a-z]+$/.test(word) || Number.parseInt(word.slice(1), 36) >= WORDS || count !== '1')
          throw new Error(`unexpected output line ${line}`);
      }
    }
    expect(lines).toBe(WORDS + 1);
    expect(total).toBe(WORDS + WORDS / COMMON_EVERY);
    expect(engine.objects.listObjects('words', { prefix: `_jobs/${job.id}/spill/` }).objects).toEqual([]);
    console.log(`reduce-spill: ${wallMs} ms, ${done.result?.spill?.runs} runs, ${done.result?.spill?.bytes} B spilled`);
  }, 240_000);
});
