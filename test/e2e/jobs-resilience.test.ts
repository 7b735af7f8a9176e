import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine.js';
import { generateText, type JobRecord } from '../../src/jobs/index.js';
import { refTotals } from '../fixtures/jobs/reference.js';
import { type CliResult, runLambdata } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let engine: Engine;
const BUCKET = 'resilience';
const texts = new Map<string, Buffer>();

function total(keys: Iterable<string>) {
  return refTotals([...keys].map((key) => texts.get(key) as Buffer));
}

beforeAll(async () => {
  t = await startTestServer('jobs-res');
  engine = t.engine;
  engine.objects.createBucket(BUCKET);
  for (let i = 0; i < 4; i++) {
    const body = generateText({ seed: 40 + i, bytes: 30_000 });
    texts.set(`slow/${i}.txt`, body);
    await engine.objects.putObject(BUCKET, `slow/${i}.txt`, body);
  }
  for (let i = 0; i < 1000; i++) {
    const body = Buffer.from(`tiny object ${i}\nwith two lines${i % 3 === 0 ? '' : '\n'}`);
    texts.set(`tiny/${String(i).padStart(4, '0')}`, body);
    await engine.objects.putObject(BUCKET, `tiny/${String(i).padStart(4, '0')}`, body);
  }
});

afterAll(async () => {
  await t?.close();
});

describe('jobs under timeouts, failures and many objects', () => {
  it('stays exact when mappers time out again and again and fail their first attempts', async () => {
    // A copy of the wordcount mapper with a 1 s timeout, reading slowly so every attempt runs out of time.
    const warm = await engine.jobs.wait(
      engine.jobs.submit({ mapper: 'wordcount', input: { bucket: BUCKET, prefix: 'slow/0' } }).id,
    );
    expect(warm.status).toBe('succeeded');
    await engine.functions.create({
      name: 'wc-short',
      handler: 'index.handler',
      timeoutS: 1,
      code: { dir: engine.functions.get('wordcount').codeDir },
    });
    const job = engine.jobs.submit({
      mapper: 'wc-short',
      input: { bucket: BUCKET, prefix: 'slow/' },
      splitSize: 15_000,
      pace: { chunkBytes: 2_000, delayMs: 60 },
      failAttempts: 1,
      maxAttempts: 3,
    });
    const done = await engine.jobs.wait(job.id);
    expect(done.error).toBeNull();
    expect(done.result?.totals).toEqual(total([...texts.keys()].filter((k) => k.startsWith('slow/'))));
    const events = engine.jobs.history(job.id);
    const partials = events.filter((e) => e.type === 'task.done' && e.partial).length;
    expect(partials).toBeGreaterThan(4); // mappers stopped before their deadline, repeatedly
    // Every first attempt is made to fail, so every committed result comes from a later attempt
    // (a retry, or a backup that overtook the failing first attempt).
    const committed = events.filter((e) => e.type === 'task.done');
    expect(committed.length).toBeGreaterThan(4);
    for (const e of committed) expect(e.attempt).toBeGreaterThanOrEqual(2);
    expect(done.counters.tasksRetried).toBeGreaterThan(0);
    // Retries and backups are attempts of a task, not tasks: the counters still meet at the end.
    expect(done.counters.tasksDone).toBe(done.counters.tasksDispatched);
  });

  it('counts 1,000 tiny objects exactly', async () => {
    const started = Date.now();
    const done = await engine.jobs.wait(
      engine.jobs.submit({ mapper: 'wordcount', input: { bucket: BUCKET, prefix: 'tiny/' } }).id,
    );
    const ms = Date.now() - started;
    expect(done.error).toBeNull();
    expect(done.result?.objects).toBe(1000);
    expect(done.result?.totals).toEqual(total([...texts.keys()].filter((k) => k.startsWith('tiny/'))));
    expect(ms).toBeLessThan(15_000);
  });

  it('lambdata run … --json prints the final record through the binary', async () => {
    const { code, stdout, stderr } = await run(
      'run',
      'wordcount',
      `s3://${BUCKET}/slow/`,
      '--split',
      '8KB',
      '--fanout',
      '2',
      '--json',
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const job = JSON.parse(stdout) as JobRecord;
    expect(job.status).toBe('succeeded');
    expect(job.result?.totals).toEqual(total([...texts.keys()].filter((k) => k.startsWith('slow/'))));
    const table = await run('jobs', 'show', job.id);
    expect(table.stdout).toMatch(/words\s+\d+/);
    expect(table.stdout).toMatch(/cluster cost/);
  });

  it('lambdata run ./myjob.ts deploys a user module as mapper and reducer and runs it with a shuffle', async () => {
    const module = fileURLToPath(new URL('../fixtures/jobs/first-letter.ts', import.meta.url));
    const { code, stdout, stderr } = await run(
      'run',
      module,
      `s3://${BUCKET}/slow/`,
      '--partitions',
      '2',
      '--json',
      '--logs',
    );
    expect(code).toBe(0);
    const job = JSON.parse(stdout) as JobRecord;
    expect(job.spec.reducer).toBe('job-first-letter-reduce');
    // --logs prints the log lines of the job's own invocations: the user's console.log and REPORT lines.
    expect(stderr).toMatch(/^job-first-letter-map \S+ .*first-letter mapper saw its first line$/m);
    expect(stderr).toMatch(/^job-first-letter-reduce \S+ REPORT RequestId: /m);
    expect(stderr).not.toMatch(/START RequestId/);
    const expected = new Map<string, unknown>();
    for (const [key, body] of texts) {
      if (!key.startsWith('slow/')) continue;
      for (const word of body
        .toString('utf8')
        .toLowerCase()
        .match(/[a-z]+/g) ?? []) {
        const c = `count:${word[0]}`;
        expected.set(c, ((expected.get(c) as number) ?? 0) + 1);
        const l = `longest:${word[0]}`;
        const best = expected.get(l) as string | undefined;
        if (!best || word.length > best.length || (word.length === best.length && word < best)) expected.set(l, word);
      }
    }
    const seen = new Map<string, unknown>();
    for (const key of job.result?.output?.keys ?? []) {
      const { body } = await engine.objects.getObject(BUCKET, key);
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      for (const line of Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean)) {
        const [k, v] = JSON.parse(line) as [string, unknown];
        seen.set(k, v);
      }
    }
    expect(seen).toEqual(expected);
  });
});

function run(...args: string[]): Promise<CliResult> {
  return runLambdata(t.url, ...args);
}
