#!/usr/bin/env node
// Job cleanup benchmark (run after `npm run build`):
//   node bench/jobs/cleanup.js [--size 64MB] [--objects 16] [--runs 30] [--keep 5]
// 1. What sweeping a wordfreq job's intermediates costs the job: the time from its last reduce commit
//    to job.completed (the sweep, the summary object and the result), beside the job's wall time.
// 2. What retention bounds: `--runs` wordfreq jobs on an engine keeping `--keep` runs per kind, beside
//    the same jobs on an engine keeping every run (the floor, same run): job records, progress events
//    and manifest entries left, their bytes, the database file, and the objects left under _jobs/
//    (outputs: retention never deletes them, so they are the same on both).
// The JSON record goes to stdout, the table to stderr.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
process.env.LAMBDATA_LOG ??= 'warn';
const { createEngine } = await import(join(root, 'dist/engine.js'));
const { startServer } = await import(join(root, 'dist/api/index.js'));
const { generateChunks } = await import(join(root, 'dist/jobs/index.js'));

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '64MB' },
    objects: { type: 'string', default: '16' },
    runs: { type: 'string', default: '30' },
    keep: { type: 'string', default: '5' },
  },
});
const MB = 1024 * 1024;
const size = Number.parseInt(values.size, 10) * MB;
const objects = Number(values.objects);
const runs = Number(values.runs);
const keep = Number(values.keep);
const work = mkdtempSync(join(tmpdir(), 'lambdata-bench-cleanup-'));
const out = { size, objects, runs, keep };

try {
  // 1. The sweep's share of a job: one engine, the corpus, three wordfreq jobs.
  await withEngine(join(work, 'sweep'), {}, async (engine) => {
    await seed(engine, objects, size);
    const rows = [];
    for (let i = 0; i < 3; i++) {
      const job = engine.jobs.submit({ mapper: 'wordfreq', input: { bucket: 'bench', prefix: 'corpus/' } });
      const done = await engine.jobs.wait(job.id);
      if (done.status !== 'succeeded') throw new Error(`job ${job.id} ${done.status}: ${done.error?.message}`);
      const events = engine.jobs.history(job.id);
      const lastCommit = events.findLast((e) => e.type === 'task.done')?.at ?? 0;
      const completed = events.find((e) => e.type === 'job.completed')?.at ?? 0;
      rows.push({ wallMs: done.cost.wallMs, endMs: completed - lastCommit, tasks: done.counters.tasksDone });
    }
    out.sweep = rows;
    for (const r of rows)
      console.error(
        `wordfreq ${(size / MB).toFixed(0)} MB: wall ${r.wallMs} ms, last commit → job.completed ${r.endMs} ms (${((100 * r.endMs) / r.wallMs).toFixed(1)}% of wall), ${r.tasks} tasks`,
      );
  });

  // 2. Retention: the same small jobs on two engines, every run kept (floor) and `keep` per kind.
  for (const [name, retention] of [
    ['every run kept (floor)', { keepRuns: 0, keepDays: 0 }],
    [`keep ${keep} per kind`, { keepRuns: keep }],
  ]) {
    const dir = join(work, name.replace(/\W+/g, '-'));
    await withEngine(dir, { jobRetention: retention }, async (engine) => {
      await seed(engine, 64, 64 * 1024);
      for (let i = 0; i < runs; i++) {
        const job = engine.jobs.submit({ mapper: 'wordfreq', input: { bucket: 'bench', prefix: 'corpus/' } });
        await engine.jobs.wait(job.id);
      }
      await engine.jobs.applyRetention();
      const db = engine.context.db;
      const one = (sql) => Object.values(db.prepare(sql).get())[0] ?? 0;
      const left = engine.objects.listObjects('bench', { prefix: '_jobs/', maxKeys: 100000 }).objects;
      const row = {
        jobs: one('SELECT COUNT(*) FROM jobs'),
        events: one('SELECT COUNT(*) FROM job_events'),
        manifest: one('SELECT COUNT(*) FROM job_manifest'),
        historyBytes:
          one('SELECT SUM(LENGTH(event)) FROM job_events') +
          one('SELECT SUM(LENGTH(result)) FROM job_manifest') +
          one('SELECT SUM(LENGTH(spec) + LENGTH(counters) + IFNULL(LENGTH(result), 0)) FROM jobs'),
        objects: left.length,
        intermediates: left.filter((o) => /\/(map|spill|results)\//.test(o.key)).length,
        objectBytes: left.reduce((n, o) => n + o.size, 0),
      };
      db.pragma('wal_checkpoint(TRUNCATE)');
      row.dbBytes = statSync(join(dir, 'lambdata.db')).size;
      out[name] = row;
      console.error(
        `${runs} runs, ${name}: ${row.jobs} jobs, ${row.events} events, ${row.manifest} manifest entries, ${(row.historyBytes / 1024).toFixed(0)} KB of history, db ${(row.dbBytes / 1024).toFixed(0)} KB, ${row.objects} output objects (${(row.objectBytes / 1024).toFixed(0)} KB) under _jobs/, ${row.intermediates} intermediates`,
      );
    });
  }
  const floor = out['every run kept (floor)'];
  const kept = out[`keep ${keep} per kind`];
  console.error(
    `retention / floor: history ${(kept.historyBytes / floor.historyBytes).toFixed(2)}×, events ${(kept.events / floor.events).toFixed(2)}×, db file ${(kept.dbBytes / floor.dbBytes).toFixed(2)}×`,
  );
  process.stdout.write(`${JSON.stringify(out)}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

async function withEngine(dir, options, body) {
  const engine = await createEngine({ dataDir: dir, ...options });
  const server = await startServer(engine, { port: 0 });
  try {
    return await body(engine);
  } finally {
    await engine.close();
    await server.close();
  }
}

async function seed(engine, count, bytes) {
  engine.objects.createBucket('bench');
  for (let i = 0; i < count; i++) {
    const body = Buffer.concat([...generateChunks({ seed: 11 + i, bytes: Math.ceil(bytes / count) })]);
    await engine.objects.putObject('bench', `corpus/part-${String(i).padStart(4, '0')}.txt`, body);
  }
}
