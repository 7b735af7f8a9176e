#!/usr/bin/env node
// What live progress costs a job (run after `npm run build`):
//   node bench/wordcount/progress.js [--size 512MB] [--objects 16] [--rounds 5]
// Generates the wordcount benchmark's corpus into the store, then runs the same wordcount job with
// mappers reporting progress (the default) and with `liveProgress: false`, interleaved round by
// round in one process so both see the same machine, and prints each side's median MB/s and the
// difference (stderr; the JSON record goes to stdout).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { createEngine } = await import(join(root, 'dist/engine.js'));
const { startServer } = await import(join(root, 'dist/api/index.js'));
const { generateChunks } = await import(join(root, 'dist/jobs/index.js'));

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '512MB' },
    objects: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '5' },
  },
});
const MB = 1024 * 1024;
const size = parseSize(values.size);
const objectCount = Number(values.objects);
const rounds = Number(values.rounds);

const work = mkdtempSync(join(tmpdir(), 'lambdata-bench-progress-'));
const engine = await createEngine({ dataDir: join(work, 'data') });
const server = await startServer(engine, { port: 0 });
try {
  engine.objects.createBucket('bench');
  let written = 0;
  for (let i = 0; i < objectCount; i++) {
    const body = Buffer.concat([...generateChunks({ seed: 7 + i, bytes: Math.ceil(size / objectCount) })]);
    written += body.length;
    await engine.objects.putObject('bench', `corpus/part-${String(i).padStart(4, '0')}.txt`, body);
  }
  await engine.jobs.deployBuiltins();
  const spec = { mapper: 'wordcount', input: { bucket: 'bench', prefix: 'corpus/' } };
  const run = async (liveProgress) => {
    const cpu = process.cpuUsage();
    const job = await engine.jobs.wait(engine.jobs.submit({ ...spec, liveProgress }).id);
    const used = process.cpuUsage(cpu);
    if (job.status !== 'succeeded') throw new Error(`job ${job.id} ${job.status}: ${job.error?.message}`);
    const events = engine.jobs.history(job.id);
    return {
      mbps: job.result.totals.bytes / MB / (job.cost.wallMs / 1000),
      progressEvents: events.filter((e) => e.type === 'progress').length,
      engineCpuMs: Math.round((used.user + used.system) / 1000),
      billedMs: job.cost.billedMs,
    };
  };
  await run(true); // warm every mapper environment once
  const on = [];
  const off = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which side goes first, so neither always runs on a warmer machine.
    const pair = r % 2 === 0 ? [true, false] : [false, true];
    for (const live of pair) {
      const result = await run(live);
      (live ? on : off).push(result);
      console.error(
        `round ${r + 1} progress ${live ? 'on ' : 'off'}: ${result.mbps.toFixed(1)} MB/s (${result.progressEvents} progress events, engine CPU ${result.engineCpuMs} ms, billed ${result.billedMs} ms)`,
      );
    }
  }
  const median = (rows) => {
    const sorted = rows.map((x) => x.mbps).sort((a, b) => a - b);
    return sorted[sorted.length >> 1];
  };
  const withProgress = median(on);
  const without = median(off);
  const cost = ((without - withProgress) / without) * 100;
  console.error(
    `\n${(written / MB).toFixed(0)} MB in ${objectCount} objects, ${rounds} rounds: median ${withProgress.toFixed(1)} MB/s with progress, ${without.toFixed(1)} MB/s without; cost ${cost.toFixed(1)}% (target ≤ 3%), load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(JSON.stringify({ bytes: written, rounds, withProgress, without, costPercent: cost, on, off }));
} finally {
  await server.close();
  await engine.close();
  rmSync(work, { recursive: true, force: true });
}

function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new Error(`not a size: ${text}`);
  return Math.round(Number(m[1]) * { '': 1, K: 1024, M: MB, G: 1024 * MB }[m[2].toUpperCase()]);
}
