import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/index.js';
import { startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { generateText } from '../../src/jobs/corpus.js';
import { handler as wordfreq } from '../wordfreq/index.js';
import { LineCutter, runMap } from './mapper.js';
import type { MapEvent, MapResult, SplitSpec } from './protocol.js';
import { countTextScalar } from './text.js';

let dataDir: string;
let engine: Engine;
let server: RunningServer;
const body = Buffer.concat([
  generateText({ seed: 3, bytes: 20 * 1024 * 1024 }),
  Buffer.from('last line, unterminated'),
]);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'lambdata-mapper-'));
  engine = await createEngine({ dataDir, background: false });
  server = await startServer(engine, { port: 0 });
  process.env.AWS_ENDPOINT_URL = server.url; // read by the mapper's S3 client on first use
  engine.objects.createBucket('maps');
  await engine.objects.putObject('maps', 'big.txt', body);
});

afterAll(async () => {
  await server?.close();
  await engine?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('line cutter', () => {
  it('keeps what it carries when the reader reuses its buffer for the next chunk', () => {
    const text = Buffer.from('one two\nthree four five\nsix\n\nseven eight nine ten eleven\ntwelve');
    for (const size of [1, 2, 3, 5, 8, 13]) {
      const fed: string[] = [];
      const cutter = new LineCutter((b, from, to) => fed.push(Buffer.from(b.subarray(from, to)).toString()));
      const reused = Buffer.alloc(size);
      for (let at = 0; at < text.length; at += size) {
        const n = text.copy(reused, 0, at, Math.min(text.length, at + size));
        cutter.push(reused.subarray(0, n));
        reused.fill(0x58); // the reader's next read overwrites the buffer
      }
      cutter.end();
      expect(fed.join('')).toBe(text.toString());
    }
  });

  it('feeds whole lines, in order, however the stream is chunked', () => {
    const text = fc
      .array(fc.constantFrom('a', 'bc d', '\n', '\n\n', ' ', 'xyz\r\n'), { maxLength: 60 })
      .map((p) => p.join(''));
    fc.assert(
      fc.property(text, fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 30 }), (s, cuts) => {
        const bytes = Buffer.from(s);
        const fed: string[] = [];
        const cutter = new LineCutter((b, from, to) => fed.push(Buffer.from(b.subarray(from, to)).toString()));
        let at = 0;
        for (const n of cuts) {
          cutter.push(bytes.subarray(at, Math.min(bytes.length, at + n)));
          at = Math.min(bytes.length, at + n);
        }
        cutter.push(bytes.subarray(at));
        cutter.end();
        expect(fed.join('')).toBe(s);
        for (const piece of fed.slice(0, -1)) expect(piece.endsWith('\n')).toBe(true);
        expect(fed.every((piece) => piece.length > 0)).toBe(true);
      }),
    );
  });
});

describe('streamed text splits', () => {
  const split = (start: number, end: number): SplitSpec => ({
    bucket: 'maps',
    key: 'big.txt',
    size: body.length,
    format: 'text',
    start,
    end,
  });
  const event = (splits: SplitSpec[]): MapEvent => ({ jobId: 'j', taskId: 't', attempt: 1, splits });
  const sink = (bytes: Uint8Array, from: number, to: number) => countTextScalar(bytes, from, to);

  it('counts each split exactly, and the splits of an object add up to the whole', async () => {
    const context = { getRemainingTimeInMillis: () => 60_000 };
    const third = Math.floor(body.length / 3);
    const run = await runMap(
      event([split(0, third), split(third, 2 * third), split(2 * third, body.length)]),
      context,
      sink,
    );
    expect(run.remaining).toEqual([]);
    const whole = countTextScalar(body);
    const sum = run.pieces.reduce(
      (s, p) => ({ words: s.words + p.words, lines: s.lines + p.lines, bytes: s.bytes + p.bytes }),
      { words: 0, lines: 0, bytes: 0 },
    );
    expect(sum).toEqual(whole);
    expect(run.pieces.map((p) => [p.start, p.end])).toEqual([
      [0, run.pieces[1]?.start],
      [run.pieces[1]?.start, run.pieces[2]?.start],
      [run.pieces[2]?.start, body.length],
    ]);
  });

  it('stops at a line start when the deadline nears, and the remainder finishes the split exactly', async () => {
    let calls = 0;
    const closing = { getRemainingTimeInMillis: () => (++calls > 1 ? 0 : 60_000) };
    const first = await runMap(event([split(0, body.length)]), closing, sink);
    const stoppedAt = first.remaining[0]?.start as number;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(body.length);
    expect(body[stoppedAt - 1]).toBe(0x0a);
    expect(first.pieces[0]).toMatchObject({ start: 0, end: stoppedAt, ...countTextScalar(body, 0, stoppedAt) });
    const rest = await runMap(event(first.remaining), { getRemainingTimeInMillis: () => 60_000 }, sink);
    expect(rest.remaining).toEqual([]);
    expect(rest.pieces[0]).toMatchObject({ start: stoppedAt, end: body.length, ...countTextScalar(body, stoppedAt) });
  });
});

describe('wordfreq over a long word', () => {
  it('counts a 3 MiB word whose bytes arrive in many read chunks', async () => {
    const word = `Long${'w0rd'.repeat(768 * 1024)}`;
    const text = `a b ${word} c\n${word.toLowerCase()}\nb\n`;
    await engine.objects.putObject('maps', 'long-word.txt', text);
    const split: SplitSpec = {
      bucket: 'maps',
      key: 'long-word.txt',
      size: text.length,
      format: 'text',
      start: 0,
      end: text.length,
    };
    // Without a result store the result is always answered inline.
    const result = (await wordfreq(
      { jobId: 'j', taskId: 't', attempt: 1, splits: [split] },
      { getRemainingTimeInMillis: () => 60_000 },
    )) as MapResult;
    expect(result.remaining).toEqual([]);
    expect(result.custom).toEqual({ a: 1, b: 2, c: 1, [word.toLowerCase()]: 2 });
    expect(result.pieces[0]).toMatchObject({ words: 6, lines: 3, bytes: text.length });
  });
});
