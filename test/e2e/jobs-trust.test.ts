import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine.js';
import { generateText, type JobEvent, type JobRecord } from '../../src/jobs/index.js';
import { refFreq } from '../fixtures/jobs/reference.js';
import { runLambdataIn } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let engine: Engine;
let api: string;

function lambdata(...args: string[]) {
  return runLambdataIn(t.dir, t.url, ...args);
}

/** POSTs to the native API; `error` is the answer's `{ code, message }` when it refused. */
async function post(
  path: string,
  body?: unknown,
): Promise<{ status: number; error: { code: string; message: string } }> {
  const res = await fetch(`${api}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
  const json = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, error: json.error ?? { code: '', message: '' } };
}

async function text(bucket: string, key: string): Promise<string> {
  return (await buffer((await engine.objects.getObject(bucket, key)).body)).toString('utf8');
}

function keysUnder(bucket: string, prefix: string): string[] {
  return engine.objects.listObjects(bucket, { prefix, maxKeys: 1000 }).objects.map((o) => o.key);
}

beforeAll(async () => {
  t = await startTestServer('jobs-trust');
  engine = t.engine;
  api = `${t.url}/_lambdata`;
});

afterAll(async () => {
  await t?.close();
});

describe('jobs users can trust', () => {
  it('outputs never become inputs: two whole-bucket jobs in a row count the same objects', async () => {
    engine.objects.createBucket('whole');
    const bodies = Array.from({ length: 5 }, (_, i) => generateText({ seed: 400 + i, bytes: 30_000 }));
    for (const [i, body] of bodies.entries()) await engine.objects.putObject('whole', `doc-${i}.txt`, body);
    const runs: JobRecord[] = [];
    for (let i = 0; i < 2; i++) {
      const out = await lambdata('run', 'wordfreq', 's3://whole/', '--json');
      expect(out.code, out.stderr).toBe(0);
      runs.push(JSON.parse(out.stdout) as JobRecord);
    }
    const [first, second] = runs as [JobRecord, JobRecord];
    // The first job's reduce outputs and summary are in the bucket (its shuffle files went when it ended)…
    const firstOutputs = keysUnder('whole', `_jobs/${first.id}/`);
    const output = first.result?.output;
    expect(firstOutputs.sort()).toEqual([...(output?.keys ?? []), output?.summaryKey].sort());
    // …and the second job did not count them.
    expect(second.result?.objects).toBe(5);
    expect(second.result?.totals).toEqual(first.result?.totals);
    expect(second.result?.distinctWords).toBe(refFreq(bodies).size);
    const summary = JSON.parse(await text('whole', second.result?.output?.summaryKey ?? '')) as { jobId: string };
    expect(summary.jobId).toBe(second.id);
  }, 240_000);

  it('refuses at submit a missing bucket, an unknown mapper or reducer, and an input that matches nothing', async () => {
    engine.objects.createBucket('checks');
    await engine.objects.putObject('checks', 'in/a.txt', 'alpha beta\n');
    const before = engine.jobs.list().length;
    const invocationsBefore = engine.billing.summary().invocations;

    const missing = await post('/jobs', { mapper: 'wordcount', input: { bucket: 'no-such-bucket' } });
    expect(missing.status).toBe(404);
    expect(missing.error.code).toBe('NoSuchBucket');
    const missingOutput = await post('/jobs', {
      mapper: 'wordfreq',
      input: { bucket: 'checks', prefix: 'in/' },
      output: { bucket: 'no-such-output', prefix: 'out/' },
    });
    expect(missingOutput.status).toBe(404);
    expect(missingOutput.error.code).toBe('NoSuchBucket');
    const unknown = await post('/jobs', { mapper: 'no-such-mapper', input: { bucket: 'checks', prefix: 'in/' } });
    expect(unknown.status).toBe(404);
    expect(unknown.error.code).toBe('ResourceNotFoundException');
    expect(unknown.error.message).toContain('no-such-mapper');
    const badReducer = await post('/jobs', {
      mapper: 'wordfreq',
      reducer: 'no-such-reducer',
      input: { bucket: 'checks', prefix: 'in/' },
    });
    expect(badReducer.status).toBe(404);
    expect(badReducer.error.message).toContain('no-such-reducer');
    const empty = await post('/jobs', { mapper: 'wordcount', input: { bucket: 'checks', prefix: 'nothing/' } });
    expect(empty.status).toBe(400);
    expect(empty.error.code).toBe('NoInputObjects');
    expect(empty.error.message).toContain('nothing matched s3://checks/nothing/');
    const missingKey = await post('/jobs', { mapper: 'wordcount', input: { bucket: 'checks', keys: ['in/nope.txt'] } });
    expect(missingKey.status).toBe(404);
    expect(missingKey.error.code).toBe('NoSuchKey');

    // The CLI says the same and exits non-zero, before any job exists.
    const cliMissing = await lambdata('run', 'wordcount', 's3://no-such-bucket/');
    expect(cliMissing.code).not.toBe(0);
    expect(cliMissing.stderr).toContain('NoSuchBucket');
    const cliEmpty = await lambdata('run', 'wordcount', 's3://checks/nothing/');
    expect(cliEmpty.code).not.toBe(0);
    expect(cliEmpty.stderr).toContain('nothing matched');
    const cliUnknown = await lambdata('run', 'no-such-mapper', 's3://checks/in/');
    expect(cliUnknown.code).not.toBe(0);
    expect(cliUnknown.stderr).toContain('Function not found: no-such-mapper');

    expect(engine.jobs.list().length).toBe(before);
    expect(engine.billing.summary().invocations).toBe(invocationsBefore);
    // A good job still runs.
    const ok = await lambdata('run', 'wordcount', 's3://checks/in/', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect((JSON.parse(ok.stdout) as JobRecord).result?.totals.words).toBe(2);
    // Two words over eight partitions: most reducers get nothing and still commit an empty output.
    const sparse = await lambdata('run', 'wordfreq', 's3://checks/in/', '--partitions', '8', '--json');
    expect(sparse.code, sparse.stderr).toBe(0);
    expect((JSON.parse(sparse.stdout) as JobRecord).result?.distinctWords).toBe(2);
  }, 240_000);

  it('plans listed keys with known sizes without heading them; a missing one fails the job by name', async () => {
    engine.objects.createBucket('sized');
    await engine.objects.putObject('sized', 'in/a.txt', 'alpha beta\n');
    await engine.objects.putObject('sized', 'in/b.txt', 'gamma\n');
    const run = async (keys: string[], sizes: number[]) => {
      const res = await fetch(`${api}/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ mapper: 'wordcount', input: { bucket: 'sized', keys, sizes }, maxAttempts: 1 }),
      });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      return engine.jobs.wait(((await res.json()) as JobRecord).id);
    };
    const ok = await run(['in/a.txt', 'in/b.txt'], [11, 6]);
    expect(ok.status).toBe('succeeded');
    expect(ok.result?.totals.words).toBe(3);
    expect(ok.counters.bytesTotal).toBe(17);
    const bad = await post('/jobs', {
      mapper: 'wordcount',
      input: { bucket: 'sized', keys: ['in/a.txt'], sizes: [1, 2] },
    });
    expect(bad.status).toBe(400);
    expect(bad.error.message).toContain('input.sizes');
    // Missing when the planner reads it (small text travels in the task event) or when a mapper
    // reads it (a gzip object): either way the job fails naming it.
    for (const gone of ['in/gone.txt', 'in/gone.gz']) {
      const missing = await run(['in/a.txt', gone], [11, 6]);
      expect(missing.status).toBe('failed');
      expect(missing.error?.message).toContain(`s3://sized/${gone}`);
    }
  }, 240_000);

  it('runs a two-stage pipeline from a job module; rerunning stage 2 gives the same result without stage 1', async () => {
    engine.objects.createBucket('pipe');
    const bodies = Array.from({ length: 4 }, (_, i) => generateText({ seed: 500 + i, bytes: 40_000 }));
    for (const [i, body] of bodies.entries()) await engine.objects.putObject('pipe', `in/${i}.txt`, body);
    const module = fixturePath('jobs/pipeline.mjs');
    const first = await lambdata('run', module, 's3://pipe/in/', '--partitions', '3', '--json');
    expect(first.code, first.stderr).toBe(0);
    const job = JSON.parse(first.stdout) as JobRecord;
    expect(job.status).toBe('succeeded');
    expect(job.pipeline?.map((s) => [s.stage, s.status, s.runs])).toEqual([
      [1, 'succeeded', 1],
      [2, 'succeeded', 1],
    ]);
    // Stage 2's output: how many words occur n times, from the reference word count.
    const histogram = new Map<string, number>();
    for (const count of refFreq(bodies).values()) histogram.set(String(count), (histogram.get(String(count)) ?? 0) + 1);
    const stage2 = job.pipeline?.[1] as NonNullable<JobRecord['pipeline']>[number];
    const readOutput = async () => {
      const pairs: Array<[string, number]> = [];
      for (const key of keysUnder(stage2.output.bucket, `${stage2.output.prefix}out/`))
        for (const line of (await text(stage2.output.bucket, key)).split('\n').filter(Boolean))
          pairs.push(JSON.parse(line) as [string, number]);
      return new Map(pairs);
    };
    expect(await readOutput()).toEqual(histogram);
    expect(job.result?.distinctWords).toBe(histogram.size);
    // Cost and counters cover both stages.
    const stageCosts = job.pipeline?.map((s) => s.cost?.invocations ?? 0) ?? [];
    expect(stageCosts.every((n) => n > 0)).toBe(true);
    expect(job.cost?.invocations).toBe(stageCosts.reduce((a, b) => a + b, 0));
    expect(job.counters.tasksDone).toBe(job.pipeline?.reduce((n, s) => n + (s.counters?.tasksDone ?? 0), 0));
    const events = engine.jobs.history(job.id);
    expect(events.filter((e) => e.type === 'pipeline.stage.completed').map((e) => e.pipelineStage)).toEqual([1, 2]);
    expect(events.some((e) => e.type === 'task.done' && e.pipelineStage === 1)).toBe(true);
    expect(events.some((e) => e.type === 'task.done' && e.pipelineStage === 2)).toBe(true);
    // Runs of stages are part of their pipeline, not jobs of their own.
    expect(engine.jobs.list().filter((j) => j.id.startsWith(`${job.id}.`))).toEqual([]);

    const rerunAt = Date.now();
    const rerun = await lambdata('run', '--rerun', job.id, '--stage', '2', '--json');
    expect(rerun.code, rerun.stderr).toBe(0);
    const again = JSON.parse(rerun.stdout) as JobRecord;
    expect(again.status).toBe('succeeded');
    expect(again.pipeline?.map((s) => s.runs)).toEqual([1, 2]);
    expect(again.pipeline?.[0]?.runId).toBe(job.pipeline?.[0]?.runId);
    expect(again.result?.distinctWords).toBe(job.result?.distinctWords);
    expect(again.result?.top).toEqual(job.result?.top);
    expect(await readOutput()).toEqual(histogram);
    // Stage 1's functions were not invoked again; stage 2's were.
    const [s1, s2] = (job.pipeline ?? []).map((s) => s.mapper);
    expect(engine.billing.summary({ functionName: s1, since: rerunAt }).invocations).toBe(0);
    expect(engine.billing.summary({ functionName: s2, since: rerunAt }).invocations).toBeGreaterThan(0);
    const afterRerun = engine.jobs.history(job.id).filter((e: JobEvent) => e.at >= rerunAt);
    expect(afterRerun.some((e) => e.pipelineStage === 1)).toBe(false);
    expect(afterRerun.find((e) => e.type === 'pipeline.stage.started')).toMatchObject({
      pipelineStage: 2,
      rerun: true,
    });

    // A stage that does not exist, or a job that is no pipeline, is refused.
    const bad = await post(`/jobs/${job.id}/stages/3/rerun`);
    expect(bad.status).toBe(409);
    expect(bad.error.code).toBe('StageNotRerunnable');
  }, 240_000);
});
