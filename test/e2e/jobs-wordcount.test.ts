import { availableParallelism } from 'node:os';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/index.js';
import type { Engine } from '../../src/engine.js';
import { BGZIP_INDEX_SUFFIX, encodeBgzip, generateText, type JobEvent, type JobRecord } from '../../src/jobs/index.js';
import { refCounts, refFreq, refGrep } from '../fixtures/jobs/reference.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let engine: Engine;
let server: RunningServer;
const BUCKET = 'corpus';
/** Logical (decompressed) content of every input object, by key. */
const inputs = new Map<string, Buffer>();

async function put(key: string, body: Buffer, logical = body): Promise<void> {
  await engine.objects.putObject(BUCKET, key, body);
  inputs.set(key, logical);
}

beforeAll(async () => {
  t = await startTestServer('jobs');
  ({ engine, server } = t);
  engine.objects.createBucket(BUCKET);
  // Many small objects, with the edge cases the split rules must get right.
  for (let i = 0; i < 30; i++)
    await put(`mix/small-${String(i).padStart(2, '0')}.txt`, generateText({ seed: i, bytes: 500 + i * 97 }));
  await put('mix/edge-empty.txt', Buffer.alloc(0));
  await put('mix/edge-crlf.txt', Buffer.from('Alpha beta\r\nGamma  delta\r\n\r\nno newline at end'));
  await put('mix/edge-utf8.txt', Buffer.from(`héllo wörld 日本語 text\n${'x'.repeat(5000)} long line\nend 😀 ok\n`));
  // Large objects cut into many splits.
  for (let i = 0; i < 3; i++) await put(`mix/large-${i}.txt`, generateText({ seed: 100 + i, bytes: 400_000 }));
  // gzip (whole object) and bgzip (splittable members).
  const gz = generateText({ seed: 200, bytes: 150_000 });
  await put('mix/whole.txt.gz', gzipSync(gz), gz);
  const bg = generateText({ seed: 300, bytes: 300_000 });
  const { data, index } = encodeBgzip(bg, 20_000);
  await put('mix/blocked.txt.gz', data, bg);
  await engine.objects.putObject(BUCKET, `mix/blocked.txt.gz${BGZIP_INDEX_SUFFIX}`, JSON.stringify(index));
});

afterAll(async () => {
  await t?.close();
});

function expectedTotals() {
  const total = { words: 0, lines: 0, bytes: 0 };
  for (const body of inputs.values()) {
    const c = refCounts(body);
    total.words += c.words;
    total.lines += c.lines;
    total.bytes += c.bytes;
  }
  return total;
}

describe('jobs over a mixed corpus', () => {
  it('wordcount gives exact totals and per-object counts across splits, gzip and bgzip', async () => {
    const job = engine.jobs.submit({
      mapper: 'wordcount',
      input: { bucket: BUCKET, prefix: 'mix/' },
      splitSize: 16_384,
      fanout: 4,
    });
    const done = await engine.jobs.wait(job.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.result?.totals).toEqual(expectedTotals());
    expect(done.result?.objects).toBe(inputs.size);
    for (const [key, body] of inputs) expect(done.result?.perObject?.[key], key).toEqual(refCounts(body));
    expect(done.counters.keysDone).toBe(inputs.size);
    expect(done.cost?.invocations).toBeGreaterThan(1);
    expect(done.cost?.billedMs).toBeGreaterThan(0);
    expect(done.cost?.cluster.usd).toBeCloseTo((3 * 0.192 * 60) / 3600, 6);
  });

  it('wordfreq shuffles into sorted partitions whose counts match a reference count', async () => {
    const job = engine.jobs.submit({
      mapper: 'wordfreq',
      input: { bucket: BUCKET, prefix: 'mix/' },
      splitSize: 65_536,
      partitions: 3,
    });
    const done = await engine.jobs.wait(job.id);
    expect(done.error).toBeNull();
    const expected = refFreq([...inputs.values()]);
    const output = done.result?.output;
    expect(output?.keys).toHaveLength(3);
    // Every task, map and reduce, is counted done once it commits.
    expect(done.counters.tasksDone).toBe(done.counters.tasksDispatched);
    expect(done.counters.tasksDone).toBeGreaterThan(3);
    const seen = new Map<string, number>();
    for (const key of output?.keys ?? []) {
      const { body } = await engine.objects.getObject(output?.bucket ?? '', key);
      const text = (await readAll(body)).toString('utf8');
      const words = text
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\t'));
      expect(words.map(([w]) => w)).toEqual(words.map(([w]) => w).sort());
      for (const [w, n] of words) seen.set(w as string, Number(n));
    }
    expect(seen).toEqual(expected);
    expect(done.result?.distinctWords).toBe(expected.size);
    const top = [...expected.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    expect(done.result?.top?.[0]).toEqual(top);
    const summary = await engine.objects.getObject(output?.bucket ?? '', output?.summaryKey ?? '');
    expect(JSON.parse((await readAll(summary.body)).toString()).distinctWords).toBe(expected.size);
  });

  it('wordfreq without partitions records one per core (2 to 4) and reduces into that many, exactly', async () => {
    const job = engine.jobs.submit({
      mapper: 'wordfreq',
      input: { bucket: BUCKET, prefix: 'mix/' },
      splitSize: 65_536,
    });
    const done = await engine.jobs.wait(job.id);
    expect(done.error).toBeNull();
    const partitions = Math.min(4, Math.max(2, availableParallelism()));
    // Recorded with the job, so a resume on a machine with other cores shuffles the same way.
    expect(done.spec.partitions).toBe(partitions);
    expect(done.stages.find((s) => s.name === 'reduce')?.tasks).toBe(partitions);
    const output = done.result?.output;
    expect(output?.keys).toHaveLength(partitions);
    const seen = new Map<string, number>();
    for (const key of output?.keys ?? []) {
      const { body } = await engine.objects.getObject(output?.bucket ?? '', key);
      for (const line of (await readAll(body)).toString('utf8').split('\n').filter(Boolean)) {
        const [w, n] = line.split('\t');
        seen.set(w as string, Number(n));
      }
    }
    expect(seen).toEqual(refFreq([...inputs.values()]));
  });

  it('grep reports matching lines with exact line numbers across splits', async () => {
    const pattern = 'Kalo|wörld|no newline';
    const job = engine.jobs.submit({
      mapper: 'grep',
      input: { bucket: BUCKET, prefix: 'mix/' },
      splitSize: 8_192,
      params: { pattern },
    });
    const done = await engine.jobs.wait(job.id);
    expect(done.error).toBeNull();
    const expected = [...inputs.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .flatMap(([key, body]) => refGrep(key, body, new RegExp(pattern)));
    expect(expected.length).toBeGreaterThan(3);
    expect(done.result?.matches).toEqual(expected);
  });

  it('scatter mode streams one result per object over SSE, ending with job.completed', async () => {
    const res = await fetch(`${server.url}/_lambdata/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        mapper: 'wordcount',
        input: { bucket: BUCKET, prefix: 'mix/' },
        mode: 'scatter',
        splitSize: 100_000,
      }),
    });
    expect(res.status).toBe(201);
    const job = (await res.json()) as JobRecord;
    const events = await readSse(`${server.url}/_lambdata/jobs/${job.id}/events`);
    const results = events.filter((e) => e.type === 'object.result') as Array<
      Extract<JobEvent, { type: 'object.result' }>
    >;
    // One committed result per object; provisional ones (reported by running mappers) agree with it.
    const committed = results.filter((e) => !e.provisional);
    expect(committed.map((e) => e.key).sort()).toEqual([...inputs.keys()].sort());
    for (const e of results) expect(e.counts).toEqual(refCounts(inputs.get(e.key) as Buffer));
    expect(events.at(-1)?.type).toBe('job.completed');
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    // Every invocation of the job (cascades and the mappers they fanned out to) reports once in the stream.
    const reports = events.filter(
      (e): e is Extract<JobEvent, { type: 'log' }> => e.type === 'log' && e.message.startsWith('REPORT RequestId: '),
    );
    const completed = events.at(-1) as Extract<JobEvent, { type: 'job.completed' }>;
    expect(reports).toHaveLength(completed.cost.invocations);
    expect(new Set(reports.map((e) => e.requestId)).size).toBe(reports.length);
    expect(new Set(reports.map((e) => e.functionName))).toEqual(new Set(['cascade', 'wordcount']));
    for (const e of reports) expect(e.message).toContain(e.requestId);
    // A late subscriber gets the same events replayed, then the stream ends.
    const replay = await readSse(`${server.url}/_lambdata/jobs/${job.id}/events`);
    expect(replay.map((e) => e.type)).toEqual(events.map((e) => e.type));
    // ?types= sends only the events asked for (the CLI waiting with --json asks for the end alone).
    const ends = await readSse(`${server.url}/_lambdata/jobs/${job.id}/events?types=job.completed,job.failed,cost`);
    expect(ends.map((e) => e.type)).toEqual(['cost', 'job.completed']);
    expect(ends.map((e) => e.seq)).toEqual(
      events.filter((e) => e.type === 'cost' || e.type === 'job.completed').map((e) => e.seq),
    );
    const record = (await (await fetch(`${server.url}/_lambdata/jobs/${job.id}`)).json()) as JobRecord;
    expect(record.status).toBe('succeeded');
    const list = (await (await fetch(`${server.url}/_lambdata/jobs`)).json()) as { jobs: JobRecord[] };
    expect(list.jobs.map((j) => j.id)).toContain(job.id);
  });
});

async function readSse(url: string): Promise<JobEvent[]> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream' } });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const text = await res.text(); // the server closes the stream after the terminal event
  return text
    .split('\n\n')
    .map((block) => block.split('\n').find((l) => l.startsWith('data: ')))
    .filter((l): l is string => l !== undefined)
    .map((l) => JSON.parse(l.slice(6)) as JobEvent);
}

async function readAll(body: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
