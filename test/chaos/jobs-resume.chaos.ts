/**
 * A wordcount job killed with SIGKILL mid-run. After the restart the job resumes by itself, and
 * `lambdata run --resume <id> --json` follows it to its end (or reruns it, had it failed); its totals
 * equal a reference count. Tasks the engine
 * had committed before the kill must not run again (their manifest entries are the acknowledged writes).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { expect, it } from 'vitest';
import { createEngine } from '../../src/engine.js';
import { generateText } from '../../src/jobs/index.js';
import type { JobEvent, JobRecord } from '../../src/jobs/types.js';
import { refTotals } from '../fixtures/jobs/reference.js';
import { clients } from './clients.js';
import {
  killHard,
  ROOT,
  ROUNDS,
  runRounds,
  startRound,
  startServe,
  stopServe,
  type Tally,
  waitFor,
} from './harness.js';

const BUCKET = 'books';
const OBJECTS = 8;
const OBJECT_BYTES = 40_000;

it(`wordcount job: killed mid-run, resumed from the CLI, equals the reference (${ROUNDS} rounds)`, async () => {
  const rounds = await runRounds(runRound);
  // `lambdata run --resume` follows the job to its end: exit 0 and the succeeded record printed.
  expect(rounds.map((r) => r.cliOk)).toEqual(rounds.map(() => true));
}, 600_000);

async function runRound(round: number): Promise<{ tally: Tally; cliOk: boolean }> {
  const { seed, killAtMs, dir, serve: first } = await startRound('jobs', 300, round, [300, 4_000]);
  let serve = first;
  const aws = clients(serve.url);
  await aws.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const bodies = Array.from({ length: OBJECTS }, (_, i) => generateText({ seed: seed + i, bytes: OBJECT_BYTES }));
  for (const [i, body] of bodies.entries()) {
    await aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: `in/${i}.txt`, Body: body }));
  }
  aws.destroy();
  const expected = refTotals(bodies);

  // One split per task, one cascade at a time, read slowly (the spec's testing aid): the job takes seconds.
  const submitted = await nativeJson<JobRecord>(serve.url, 'POST', '/jobs', {
    mapper: 'wordcount',
    input: { bucket: BUCKET, prefix: 'in/' },
    splitSize: OBJECT_BYTES,
    taskSize: OBJECT_BYTES,
    fanout: 1,
    concurrency: 2,
    pace: { chunkBytes: 8_000, delayMs: 80 },
  });
  await new Promise((resolve) => setTimeout(resolve, killAtMs));
  const orphans = await killHard(serve);

  serve = await startServe(dir.path);
  const atRestart = await nativeJson<JobRecord>(serve.url, 'GET', `/jobs/${submitted.id}`);
  const committed = atRestart.counters.tasksDone;
  let final = atRestart;
  let cli = 'not needed (finished before the kill)';
  let cliOk = true;
  if (atRestart.status !== 'succeeded') {
    const out = await lambdata(serve.url, 'run', '--resume', submitted.id, '--json');
    const printed = JSON.parse(out.stdout || 'null') as JobRecord | null;
    cli = `exit ${out.code}, printed status ${printed?.status ?? 'nothing'}`;
    cliOk = out.code === 0 && printed?.status === 'succeeded';
    // Whatever the CLI printed, wait for the job itself so the result is checked either way.
    await waitFor(async () => {
      final = await nativeJson<JobRecord>(serve.url, 'GET', `/jobs/${submitted.id}`);
      return final.status !== 'running';
    }, 120_000);
  }
  await stopServe(serve);
  const events = await history(dir.path, submitted.id);

  const planned = (events.find((e) => e.type === 'keys.listed') as { tasks?: number } | undefined)?.tasks ?? 0;
  const restartAt = events.findLastIndex((e) => e.type === 'job.started');
  const resumed = (events[restartAt] as { resumed?: boolean } | undefined)?.resumed === true;
  const rerun = new Set(
    events
      .slice(resumed ? restartAt : events.length)
      .filter((e) => e.type === 'task.dispatched')
      .map((e) => (e as { taskId: string }).taskId.split('.')[0]),
  );
  // A committed task dispatched again means its commit was lost (its result would be counted twice
  // without the manifest); more reruns than uncommitted tasks is exactly that.
  const lost = Math.max(0, rerun.size - (planned - committed));
  const totals = final.result?.totals;
  const equal =
    final.status === 'succeeded' &&
    totals?.words === expected.words &&
    totals?.lines === expected.lines &&
    totals?.bytes === expected.bytes;
  const duplicates = totals ? Math.max(0, totals.words - expected.words) : 0;
  if (lost === 0 && equal) dir.remove();
  else process.stdout.write(`jobs round ${round}: data dir kept at ${dir.path}\n`);
  const tally: Tally = {
    scenario: 'wordcount job resumed after kill -9 (acknowledged = tasks committed before the kill)',
    round,
    seed,
    killAtMs,
    acknowledged: committed,
    survived: committed - lost,
    lost,
    duplicates,
    torn: equal ? 0 : 1,
    orphans,
    note: `${atRestart.status}${atRestart.error ? ` ${atRestart.error.code}` : ''} at restart, ${committed}/${planned} tasks committed, ${rerun.size} rerun; CLI resume: ${cli}; final ${final.status}, totals ${equal ? '= reference' : `${JSON.stringify(totals)} ≠ ${JSON.stringify(expected)}`}`,
  };
  return { tally, cliOk };
}

/** One native API call under /_lambdata; throws on a non-2xx answer. */
async function nativeJson<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${url}/_lambdata${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Every event of the job, in order, read from the stopped engine's data dir: the SSE stream cannot give
 * them, as it ends at the first job.failed (the interruption) even when the job was resumed after it.
 */
async function history(dataDir: string, id: string): Promise<JobEvent[]> {
  const engine = await createEngine({ dataDir, background: false });
  try {
    return engine.jobs.history(id);
  } finally {
    await engine.close();
  }
}

/** Runs the built CLI against `endpoint`; never rejects. */
function lambdata(endpoint: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'bin/lambdata.js'), '--endpoint', endpoint, ...args],
      { env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'silent' }, timeout: 180_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
