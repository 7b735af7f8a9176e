import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { createEngine } from '../../src/engine.js';
import { generateText } from '../../src/jobs/index.js';
import { refTotals } from '../fixtures/jobs/reference.js';
import { tasksDone, withEngine } from '../helpers/jobs.js';

// The host's core count as the planner sees it: the first run plans on "1 core", the resume on "8".
const cores = vi.hoisted(() => ({ value: 0 }));
vi.mock('node:os', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:os')>();
  return { ...actual, availableParallelism: () => cores.value || actual.availableParallelism() };
});

const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-jobs-resume-plan-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const KB = 1024;

it('a job resumed on a host with more cores plans the same tasks and counts exactly', async () => {
  // Whole objects as splits; on 1 core the tasks are [a b] [c], on 8 cores [a] [b] [c]: a resume that
  // planned afresh would apply the committed result of [a b] to [a] and count b twice.
  const bodies = {
    'in/a.txt': generateText({ seed: 11, bytes: 512 * KB }),
    'in/b.txt': generateText({ seed: 12, bytes: 600 * KB }),
    'in/c.txt': generateText({ seed: 13, bytes: 2900 * KB }),
  };
  const expected = refTotals(Object.values(bodies));
  cores.value = 1;
  const jobId = await withEngine(dataDir, async (engine) => {
    engine.objects.createBucket('plan');
    for (const [key, body] of Object.entries(bodies)) await engine.objects.putObject('plan', key, body);
    const job = engine.jobs.submit({
      mapper: 'wordcount',
      input: { bucket: 'plan', prefix: 'in/' },
      splitSize: 8 * 1024 * KB,
      fanout: 1,
      concurrency: 8,
      pace: { chunkBytes: 64 * KB, delayMs: 30 },
    });
    await tasksDone(engine, job.id, 1);
    return job.id;
  });
  cores.value = 8;
  await withEngine(dataDir, async (engine) => {
    const planned = engine.jobs.history(jobId).find((e) => e.type === 'keys.listed') as { tasks: number };
    expect(planned.tasks).toBe(2);
    // The engine resumed the interrupted job as it started.
    const done = await engine.jobs.wait(jobId);
    expect(done.error).toBeNull();
    expect(done.result?.totals).toEqual(expected);
    const events = engine.jobs.history(jobId);
    const replanned = events.findLast((e) => e.type === 'keys.listed') as { tasks: number };
    expect(replanned.tasks).toBe(2);
  });
});

it('a resume whose input changed since it was planned fails with JobPlanChanged instead of miscounting', async () => {
  cores.value = 0;
  const jobId = await withEngine(dataDir, async (engine) => {
    engine.objects.createBucket('changed');
    for (let i = 0; i < 3; i++)
      await engine.objects.putObject('changed', `in/${i}.txt`, generateText({ seed: 30 + i, bytes: 20 * KB }));
    const job = engine.jobs.submit({
      mapper: 'wordcount',
      input: { bucket: 'changed', prefix: 'in/' },
      splitSize: 20 * KB,
      taskSize: 20 * KB,
      fanout: 1,
      concurrency: 2,
      pace: { chunkBytes: 4 * KB, delayMs: 100 },
    });
    await tasksDone(engine, job.id, 1);
    return job.id;
  });
  // The input changes while the engine is down (only the object store runs, so the job does not resume yet).
  const objectsOnly = await createEngine({ dataDir, background: false });
  try {
    await objectsOnly.objects.start();
    await objectsOnly.objects.putObject('changed', 'in/0.txt', generateText({ seed: 99, bytes: 45 * KB }));
  } finally {
    await objectsOnly.close();
  }
  await withEngine(dataDir, async (engine) => {
    const done = await engine.jobs.wait(jobId);
    expect(done.status).toBe('failed');
    expect(done.error?.code).toBe('JobPlanChanged');
    expect(done.result).toBeNull();
  });
});
