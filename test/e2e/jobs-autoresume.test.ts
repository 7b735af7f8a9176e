import { afterAll, expect, it } from 'vitest';
import { generateText, type JobRecord, type JobSpec } from '../../src/jobs/index.js';
import { dataDir, killHard, requireBuild, type Serve, startServe, stopServe, waitFor } from '../chaos/harness.js';
import { refCounts, refFreq, refTotals } from '../fixtures/jobs/reference.js';
import { runLambdata } from '../helpers/cli.js';

const dir = dataDir('jobs-autoresume');
let serve: Serve | undefined;
afterAll(async () => {
  if (serve) await stopServe(serve);
  dir.remove();
});

async function call<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}/_lambdata${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

it('a job interrupted by kill -9 of lambdata serve resumes by itself when it starts again, with the uninterrupted result', async () => {
  requireBuild();
  serve = await startServe(dir.path);
  const bodies = Array.from({ length: 6 }, (_, i) => generateText({ seed: 90 + i, bytes: 20_000 }));
  await fetch(`${serve.url}/_lambdata/buckets/again`, { method: 'PUT' });
  for (const [i, body] of bodies.entries()) {
    const res = await fetch(`${serve.url}/_lambdata/buckets/again/objects/in/${i}.txt`, {
      method: 'PUT',
      body: new Uint8Array(body),
    });
    expect(res.ok).toBe(true);
  }
  // One split per task, one task per cascade, read slowly: the job is mid-way when the engine dies.
  const spec: JobSpec = {
    mapper: 'wordcount',
    input: { bucket: 'again', prefix: 'in/' },
    splitSize: 20_000,
    taskSize: 20_000,
    fanout: 1,
    concurrency: 2,
    pace: { chunkBytes: 4_000, delayMs: 150 },
  };
  const job = await call<JobRecord>(serve.url, 'POST', '/jobs', spec);
  const url = serve.url;
  expect(
    await waitFor(async () => (await call<JobRecord>(url, 'GET', `/jobs/${job.id}`)).counters.tasksDone >= 2, 60_000),
  ).toBe(true);
  const atKill = await call<JobRecord>(url, 'GET', `/jobs/${job.id}`);
  await killHard(serve);
  expect(atKill.status).toBe('running');
  expect(atKill.counters.tasksDone).toBeLessThan(6);

  serve = await startServe(dir.path);
  const restarted = serve.url;
  // `lambdata run --resume` follows the job that resumed by itself to its end.
  const followed = await runLambdata(restarted, 'run', '--resume', job.id, '--json');
  expect(followed.code).toBe(0);
  expect((JSON.parse(followed.stdout) as JobRecord).status).toBe('succeeded');
  const done = await call<JobRecord>(restarted, 'GET', `/jobs/${job.id}`);
  expect(done?.error).toBeNull();
  expect(done?.status).toBe('succeeded');
  expect(done?.result?.totals).toEqual(refTotals(bodies));

  // The same job run without an interruption gives the same result.
  const { pace: _pace, ...unpaced } = spec;
  const fresh = await call<JobRecord>(restarted, 'POST', '/jobs', unpaced);
  let uninterrupted: JobRecord | undefined;
  await waitFor(async () => {
    uninterrupted = await call<JobRecord>(restarted, 'GET', `/jobs/${fresh.id}`);
    return uninterrupted.status !== 'running';
  }, 60_000);
  expect(uninterrupted?.status).toBe('succeeded');
  expect(done?.result).toEqual(uninterrupted?.result);
  // Tasks committed before the kill count as dispatched and done once, not again.
  expect(done?.counters.tasksDone).toBe(done?.counters.tasksDispatched);
  expect(done?.counters.tasksDone).toBe(uninterrupted?.counters.tasksDone);
  for (const [i, body] of bodies.entries()) expect(done?.result?.perObject?.[`in/${i}.txt`]).toEqual(refCounts(body));
}, 240_000);

it('a wordfreq job killed with -9 mid-map resumes with its shuffle files, then leaves only its outputs', async () => {
  requireBuild();
  if (serve) await stopServe(serve);
  const shuffleDir = dataDir('jobs-autoresume-shuffle');
  try {
    serve = await startServe(shuffleDir.path);
    const bodies = Array.from({ length: 6 }, (_, i) => generateText({ seed: 190 + i, bytes: 20_000 }));
    await fetch(`${serve.url}/_lambdata/buckets/freq`, { method: 'PUT' });
    for (const [i, body] of bodies.entries()) {
      const res = await fetch(`${serve.url}/_lambdata/buckets/freq/objects/in/${i}.txt`, {
        method: 'PUT',
        body: new Uint8Array(body),
      });
      expect(res.ok).toBe(true);
    }
    const job = await call<JobRecord>(serve.url, 'POST', '/jobs', {
      mapper: 'wordfreq',
      input: { bucket: 'freq', prefix: 'in/' },
      partitions: 2,
      splitSize: 20_000,
      taskSize: 20_000,
      fanout: 1,
      concurrency: 2,
      pace: { chunkBytes: 4_000, delayMs: 150 },
    } satisfies JobSpec);
    const url = serve.url;
    const keys = async (u: string) =>
      (
        await call<{ objects: Array<{ key: string }> }>(u, 'GET', `/buckets/freq/objects?prefix=_jobs/${job.id}/`)
      ).objects
        .map((o) => o.key)
        .sort();
    expect(
      await waitFor(async () => (await call<JobRecord>(url, 'GET', `/jobs/${job.id}`)).counters.tasksDone >= 2, 60_000),
    ).toBe(true);
    // Committed map tasks' partitions are in the store when the engine dies: the resume reduces them.
    expect((await keys(url)).filter((k) => /\/map\/m\d+-a\d+\/part-\d+$/.test(k)).length).toBeGreaterThanOrEqual(4);
    await killHard(serve);

    serve = await startServe(shuffleDir.path);
    const restarted = serve.url;
    let done: JobRecord | undefined;
    expect(
      await waitFor(async () => {
        done = await call<JobRecord>(restarted, 'GET', `/jobs/${job.id}`);
        return done.status !== 'running';
      }, 90_000),
    ).toBe(true);
    expect(done?.error).toBeNull();
    expect(done?.status).toBe('succeeded');
    expect(done?.result?.distinctWords).toBe(refFreq(bodies).size);
    const top = [...refFreq(bodies)].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    expect(done?.result?.top?.[0]?.[1]).toBe(top?.[1]);
    const output = done?.result?.output;
    expect(await keys(restarted)).toEqual([...(output?.keys ?? []), output?.summaryKey].sort());
  } finally {
    if (serve) await stopServe(serve);
    serve = undefined;
    shuffleDir.remove();
  }
}, 240_000);

it('a wordfreq job that failed leaves no shuffle files, and `lambdata run --resume` runs its map tasks again to the right answer', async () => {
  requireBuild();
  if (serve) await stopServe(serve);
  const failDir = dataDir('jobs-autoresume-failed');
  try {
    serve = await startServe(failDir.path);
    const bodies = Array.from({ length: 5 }, (_, i) => generateText({ seed: 290 + i, bytes: 20_000 }));
    await fetch(`${serve.url}/_lambdata/buckets/fail`, { method: 'PUT' });
    // The last object is listed with its size but not there yet: its map task fails, the others commit.
    for (const [i, body] of bodies.slice(0, -1).entries()) {
      const res = await fetch(`${serve.url}/_lambdata/buckets/fail/objects/in/${i}.txt`, {
        method: 'PUT',
        body: new Uint8Array(body),
      });
      expect(res.ok).toBe(true);
    }
    const keys = bodies.map((_, i) => `in/${i}.txt`);
    const job = await call<JobRecord>(serve.url, 'POST', '/jobs', {
      mapper: 'wordfreq',
      input: { bucket: 'fail', keys, sizes: bodies.map((b) => b.length) },
      partitions: 2,
      splitSize: 20_000,
      taskSize: 20_000,
      fanout: 1,
      maxAttempts: 1,
    } satisfies JobSpec);
    const url = serve.url;
    const under = async () =>
      (
        await call<{ objects: Array<{ key: string }> }>(url, 'GET', `/buckets/fail/objects?prefix=_jobs/${job.id}/`)
      ).objects
        .map((o) => o.key)
        .sort();
    let failed: JobRecord | undefined;
    expect(
      await waitFor(async () => {
        failed = await call<JobRecord>(url, 'GET', `/jobs/${job.id}`);
        return failed.status !== 'running';
      }, 60_000),
    ).toBe(true);
    expect(failed?.status).toBe('failed');
    expect(failed?.error?.message).toContain('in/4.txt');
    expect(failed?.counters.tasksDone).toBeGreaterThan(0);
    // The committed map tasks' partitions went with the failure (the cleanup ends before the record can be resumed).
    expect(await waitFor(async () => (await under()).length === 0, 30_000)).toBe(true);

    const res = await fetch(`${url}/_lambdata/buckets/fail/objects/in/4.txt`, {
      method: 'PUT',
      body: new Uint8Array(bodies[4] as Buffer),
    });
    expect(res.ok).toBe(true);
    const out = await runLambdata(url, 'run', '--resume', job.id, '--json');
    expect(out.code, out.stderr).toBe(0);
    const done = JSON.parse(out.stdout) as JobRecord;
    expect(done.status).toBe('succeeded');
    expect(done.result?.distinctWords).toBe(refFreq(bodies).size);
    expect(done.result?.totals).toEqual(refTotals(bodies));
    const output = done.result?.output;
    expect(await under()).toEqual([...(output?.keys ?? []), output?.summaryKey].sort());
  } finally {
    if (serve) await stopServe(serve);
    serve = undefined;
    failDir.remove();
  }
}, 240_000);
