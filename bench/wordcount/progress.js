#!/usr/bin/env node
// What live progress costs a job, measured as users run jobs (run after `npm run build`):
//   node bench/wordcount/progress.js [--size 512MB] [--objects 16] [--rounds 5]
// Starts `lambdata serve` as its own process on a temp data dir, uploads a generated corpus with
// `lambdata s3 cp --recursive`, then runs the same wordcount job with `lambdata run … --json`, with
// mappers reporting progress (the default) and with `--no-live-progress`, interleaved round by round
// so both see the same machine. Prints each side's median MB/s and the difference, and — because wall
// time on a shared machine drifts with its load — the CPU time each job cost (serve's whole process
// tree, environments included, plus the CLI process), whose difference is the progress cost in work
// (stderr; the JSON record goes to stdout).
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/lambdata.js');
const { generateChunks } = await import(join(root, 'dist/jobs/index.js'));
const { reapedCpuMicros, treeCpuMicros } = await import('../invoke/serve-process.js');
const run = promisify(execFile);

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
const env = { PATH: process.env.PATH ?? '', HOME: work, LAMBDATA_LOG: 'error' };
const serve = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', join(work, 'data')], {
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
const exited = new Promise((resolve) => serve.once('exit', resolve));
try {
  const endpoint = await new Promise((resolve, reject) => {
    serve.once('exit', (code) => reject(new Error(`lambdata serve exited with ${code}`)));
    createInterface({ input: serve.stdout }).on('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m) resolve(m[1]);
    });
  });
  const lambdata = (...args) =>
    run(process.execPath, [bin, '--endpoint', endpoint, ...args], { env, maxBuffer: 64 * MB });
  const corpus = join(work, 'corpus');
  mkdirSync(corpus);
  let written = 0;
  for (let i = 0; i < objectCount; i++) {
    const body = Buffer.concat([...generateChunks({ seed: 7 + i, bytes: Math.ceil(size / objectCount) })]);
    written += body.length;
    writeFileSync(join(corpus, `part-${String(i).padStart(4, '0')}.txt`), body);
  }
  await lambdata('s3', 'mb', 's3://bench');
  await lambdata('s3', 'cp', corpus, 's3://bench/corpus/', '--recursive');
  rmSync(corpus, { recursive: true, force: true });
  const job = async (liveProgress) => {
    const args = ['run', 'wordcount', 's3://bench/corpus/', '--json', ...(liveProgress ? [] : ['--no-live-progress'])];
    const cpuBefore = treeCpuMicros(serve.pid, { reaped: true }) + reapedCpuMicros(process.pid);
    const { stdout } = await lambdata(...args);
    const cpuMicros = treeCpuMicros(serve.pid, { reaped: true }) + reapedCpuMicros(process.pid) - cpuBefore;
    const record = JSON.parse(stdout);
    if (record.status !== 'succeeded') throw new Error(`job ${record.id} ${record.status}: ${record.error?.message}`);
    return {
      mbps: record.result.totals.bytes / MB / (record.cost.wallMs / 1000),
      billedMs: record.cost.billedMs,
      cpuSeconds: cpuMicros / 1e6,
    };
  };
  await job(true); // deploys the built-ins and warms every mapper environment once
  const on = [];
  const off = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which side goes first, so neither always runs on a warmer machine.
    const pair = r % 2 === 0 ? [true, false] : [false, true];
    for (const live of pair) {
      const result = await job(live);
      (live ? on : off).push(result);
      console.error(
        `round ${r + 1} progress ${live ? 'on ' : 'off'}: ${result.mbps.toFixed(1)} MB/s, CPU ${result.cpuSeconds.toFixed(2)} s (billed ${result.billedMs} ms)`,
      );
    }
  }
  const median = (rows, field = 'mbps') => {
    const sorted = rows.map((x) => x[field]).sort((a, b) => a - b);
    return sorted[sorted.length >> 1];
  };
  const withProgress = median(on);
  const without = median(off);
  const cost = ((without - withProgress) / without) * 100;
  const cpuOn = median(on, 'cpuSeconds');
  const cpuOff = median(off, 'cpuSeconds');
  const cpuCost = ((cpuOn - cpuOff) / cpuOff) * 100;
  console.error(
    `\n${(written / MB).toFixed(0)} MB in ${objectCount} objects, ${rounds} rounds: median ${withProgress.toFixed(1)} MB/s with progress, ${without.toFixed(1)} MB/s without (ratio ${(withProgress / without).toFixed(3)}); cost ${cost.toFixed(1)}% (target ≤ 3%), load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.error(
    `CPU per job (serve's process tree + CLI), median: ${cpuOn.toFixed(2)} s with progress, ${cpuOff.toFixed(2)} s without; cost ${cpuCost.toFixed(1)}% (target ≤ 3%)`,
  );
  console.log(
    JSON.stringify({
      bytes: written,
      rounds,
      withProgress,
      without,
      costPercent: cost,
      cpuOn,
      cpuOff,
      cpuCost,
      on,
      off,
    }),
  );
} finally {
  serve.kill('SIGTERM');
  await exited;
  rmSync(work, { recursive: true, force: true });
}

function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new Error(`not a size: ${text}`);
  return Math.round(Number(m[1]) * { '': 1, K: 1024, M: MB, G: 1024 * MB }[m[2].toUpperCase()]);
}
