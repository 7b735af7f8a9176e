import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createEngine } from '../../src/engine.js';
import { generateText } from '../../src/jobs/index.js';
import { refTotals } from '../fixtures/jobs/reference.js';
import { tasksDone, withEngine } from '../helpers/jobs.js';
import { eventually } from '../helpers/wait.js';

const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-jobs-restart-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('a job running when the engine stops resumes by itself at the next start, rerunning only what was not committed', async () => {
  const bodies = Array.from({ length: 6 }, (_, i) => generateText({ seed: 70 + i, bytes: 20_000 }));
  const expected = refTotals(bodies);
  let committedBefore = 0;
  const jobId = await withEngine(dataDir, async (engine) => {
    engine.objects.createBucket('restart');
    for (const [i, body] of bodies.entries()) await engine.objects.putObject('restart', `in/${i}.txt`, body);
    // One split per task, one task per cascade, read slowly: the job is mid-way when the engine stops.
    const job = engine.jobs.submit({
      mapper: 'wordcount',
      input: { bucket: 'restart', prefix: 'in/' },
      splitSize: 20_000,
      taskSize: 20_000,
      fanout: 1,
      concurrency: 2,
      pace: { chunkBytes: 4_000, delayMs: 150 },
    });
    committedBefore = await tasksDone(engine, job.id, 2);
    return job.id;
  });
  await withEngine(dataDir, async (engine) => {
    expect(committedBefore).toBeGreaterThanOrEqual(2);
    // Nobody asks for a resume: the engine's start resumed it.
    const done = await engine.jobs.wait(jobId);
    expect(done.status).toBe('succeeded');
    expect(done.error).toBeNull();
    expect(done.result?.totals).toEqual(expected);
    const events = engine.jobs.history(jobId);
    const restartAt = events.findLastIndex((e) => e.type === 'job.started');
    expect(events[restartAt]).toMatchObject({ type: 'job.started', resumed: true });
    const rerun = new Set(
      events
        .slice(restartAt)
        .filter((e) => e.type === 'task.dispatched')
        .map((e) => (e as { taskId: string }).taskId.split('.')[0]),
    );
    const planned = events.find((e) => e.type === 'keys.listed') as { tasks: number };
    expect(planned.tasks).toBeGreaterThan(committedBefore);
    expect(rerun.size).toBeLessThanOrEqual(planned.tasks - committedBefore);
    expect(events.at(-1)?.type).toBe('job.completed');
    expect(events.some((e) => e.type === 'warning' && /resumes by itself/.test(e.message))).toBe(true);
    // Following it replays the interruption but ends at the completion.
    const followed = await new Promise<string[]>((resolve) => {
      const types: string[] = [];
      engine.jobs.follow(
        jobId,
        (e) => types.push(e.type),
        () => resolve(types),
      );
    });
    expect(followed).toContain('job.failed');
    expect(followed.at(-1)).toBe('job.completed');
  });
});

it('a pipeline interrupted mid-stage resumes that stage by itself, keeping its committed tasks, and runs the rest', async () => {
  const pipeDir = mkdtempSync(join(tmpdir(), 'lambdata-jobs-restart-pipe-'));
  try {
    const bodies = Array.from({ length: 6 }, (_, i) => generateText({ seed: 170 + i, bytes: 20_000 }));
    const jobId = await withEngine(pipeDir, async (engine) => {
      engine.objects.createBucket('pipe');
      for (const [i, body] of bodies.entries()) await engine.objects.putObject('pipe', `in/${i}.txt`, body);
      // Stage 1 counts slowly (one split per task); stage 2 counts the lines of stage 1's result.json.
      const job = engine.jobs.submit({
        mapper: 'wordcount',
        input: { bucket: 'pipe', prefix: 'in/' },
        stages: [
          {
            mapper: 'wordcount',
            splitSize: 20_000,
            taskSize: 20_000,
            fanout: 1,
            concurrency: 2,
            pace: { chunkBytes: 4_000, delayMs: 150 },
          },
          { mapper: 'wordcount' },
        ],
      });
      await tasksDone(engine, job.id, 2);
      return job.id;
    });
    await withEngine(pipeDir, async (engine) => {
      const done = await engine.jobs.wait(jobId);
      expect(done.error).toBeNull();
      expect(done.status).toBe('succeeded');
      const [first, second] = done.pipeline ?? [];
      // The interrupted stage resumed in the same run (its manifest kept), not a fresh one.
      expect(first).toMatchObject({ status: 'succeeded', runs: 1, runId: `${jobId}.s1` });
      expect(first?.result?.totals).toEqual(refTotals(bodies));
      expect(second).toMatchObject({ status: 'succeeded', runs: 1 });
      expect(second?.result?.objects).toBe(1);
      const started = engine.jobs.history(jobId).filter((e) => e.type === 'pipeline.stage.started');
      expect(started.map((e) => [e.pipelineStage, (e as { resumed: boolean }).resumed])).toEqual([
        [1, false],
        [1, true],
        [2, false],
      ]);
    });
  } finally {
    rmSync(pipeDir, { recursive: true, force: true });
  }
}, 120_000);

it('a run that ended just before the engine stopped, its intermediates still there, is swept at the next start', async () => {
  const sweepDir = mkdtempSync(join(tmpdir(), 'lambdata-jobs-restart-sweep-'));
  try {
    const bodies = Array.from({ length: 3 }, (_, i) => generateText({ seed: 270 + i, bytes: 20_000 }));
    const done = await withEngine(sweepDir, async (engine) => {
      engine.objects.createBucket('sweep');
      for (const [i, body] of bodies.entries()) await engine.objects.putObject('sweep', `in/${i}.txt`, body);
      const job = engine.jobs.submit({ mapper: 'wordfreq', input: { bucket: 'sweep', prefix: 'in/' }, partitions: 2 });
      return engine.jobs.wait(job.id);
    });
    expect(done.status).toBe('succeeded');
    const outputs = [...(done.result?.output?.keys ?? []), done.result?.output?.summaryKey as string];
    // What a crash between the run's end and its sweep leaves (as does an engine from before sweeps): the
    // run recorded as not swept, with a map partition, a reducer's spill and a stored result in place.
    const left = ['map/m0-a1/part-00000', 'spill/r0/0f3a/run-0', 'results/m1-a2.json'].map(
      (key) => `_jobs/${done.id}/${key}`,
    );
    const notIntermediate = `_jobs/${done.id}/map/notes.txt`;
    const offline = await createEngine({ dataDir: sweepDir, background: false });
    try {
      for (const key of [...left, notIntermediate]) await offline.objects.putObject('sweep', key, 'x');
      offline.context.db.prepare('UPDATE jobs SET swept_at = NULL WHERE id = ?').run(done.id);
    } finally {
      await offline.close();
    }
    await withEngine(sweepDir, async (engine) => {
      const keys = () => engine.objects.listObjects('sweep', { prefix: `_jobs/${done.id}/` }).objects.map((o) => o.key);
      await eventually(() => !keys().some((k) => left.includes(k)));
      expect(keys().sort()).toEqual([...outputs, notIntermediate].sort());
    });
  } finally {
    rmSync(sweepDir, { recursive: true, force: true });
  }
}, 120_000);
