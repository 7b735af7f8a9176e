/**
 * Live progress only from the attempt itself: every function holds the engine's credentials, so each
 * attempt gets its own secret in its payload and the progress route refuses any report without the
 * live secret of that very attempt. A hostile mapper (test/fixtures/jobs/progress-thief) tries to post
 * into a running job's task and into its own with a forged secret, while that job's real mappers keep
 * streaming their progress.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent, JobRecord } from '../../src/api/native/contract.js';
import { generateText } from '../../src/jobs/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';

const here = dirname(fileURLToPath(import.meta.url));
const MIB = 1024 * 1024;
const FAKE_BYTES = 1_000_000_000;

let server: TestServer;

async function submit(spec: Record<string, unknown>): Promise<JobRecord> {
  const res = await fetch(`${server.url}/_lambdata/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as JobRecord;
}

beforeAll(async () => {
  server = await startTestServer('progress-secrets');
  const engine = server.engine;
  engine.objects.createBucket('victim');
  for (let i = 0; i < 6; i++)
    await engine.objects.putObject('victim', `docs/${i}.txt`, generateText({ seed: 40 + i, bytes: 6 * MIB }));
  engine.objects.createBucket('thief');
  await engine.objects.putObject('thief', 'in/one.txt', Buffer.from('one line\n'));
  await engine.functions.create({
    name: 'progress-thief',
    handler: 'index.handler',
    code: { dir: join(here, '../fixtures/jobs/progress-thief') },
  });
  await engine.jobs.deployBuiltins();
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('progress reports need the live secret of their attempt', () => {
  it('refuses a foreign or forged secret (403 AccessDeniedException) while the real mappers stream', async () => {
    const events: JobEvent[] = [];
    const stop = server.engine.jobs.events.subscribe((e) => events.push(e));
    try {
      // The victim's mappers read slowly, so its first task is still running when the thief posts.
      const victim = await submit({
        mapper: 'wordcount',
        input: { bucket: 'victim', prefix: 'docs/' },
        fanout: 2,
        concurrency: 6,
        pace: { chunkBytes: 256 * 1024, delayMs: 60 },
      });
      const ofVictim = () => events.filter((e) => e.jobId === victim.id);
      await eventually(() => ofVictim().some((e) => e.type === 'task.dispatched' && e.taskId === 'm0'), 60_000);
      const thief = await submit({
        mapper: 'progress-thief',
        input: { bucket: 'thief', prefix: 'in/' },
        params: { victimJob: victim.id, victimTask: 'm0' },
      });
      const stolen = await server.engine.jobs.wait(thief.id);
      expect(stolen.error).toBeNull();
      const victimRunning = !ofVictim().some((e) => e.type === 'task.done' && e.taskId === 'm0');
      type Answers = Record<string, { status: number; code?: string }>;
      const answers = (stolen.result?.custom as { answers: Answers } | undefined)?.answers ?? {};
      expect(answers.foreign).toEqual({ status: 403, code: 'AccessDeniedException' });
      expect(answers.forged).toEqual({ status: 403, code: 'AccessDeniedException' });
      expect(answers.missing).toEqual({ status: 403, code: 'AccessDeniedException' });
      // The control: the same function's report with its own live secret is taken.
      expect(answers.own).toEqual({ status: 204 });
      // The refusal was not merely because the victim's task had ended.
      expect(victimRunning).toBe(true);

      const done = await server.engine.jobs.wait(victim.id);
      expect(done.status).toBe('succeeded');
      const seen = ofVictim();
      // No fake figure ever reached the victim's counters...
      for (const e of seen) expect(e.counters.running?.bytes ?? 0).toBeLessThan(FAKE_BYTES);
      // ...while its real mappers streamed progress before their tasks committed.
      const firstCommit = seen.findIndex((e) => e.type === 'task.done');
      expect(seen.slice(0, firstCommit).filter((e) => (e.counters.running?.bytes ?? 0) > 0).length).toBeGreaterThan(2);
      // Once the job is over, a report with any secret is refused too.
      const late = await fetch(`${server.url}/_lambdata/jobs/${victim.id}/progress`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ taskId: 'm0', attempt: 1, secret: 'x', bytes: 1, words: 1, lines: 1, keys: 0 }),
      });
      expect(late.status).toBe(403);
      expect(((await late.json()) as { error: { code: string } }).error.code).toBe('AccessDeniedException');
    } finally {
      stop();
    }
  }, 180_000);
});
