// Runtime benchmark: warm no-op runs through the environment pool beside a raw child-process IPC
// round trip, cold start beside `node -e 0`, and no-op throughput at concurrency 1…64.
// Usage: npm run build && node bench/invoke/run.js [--quick]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnvironmentPool } from '../../dist/runtime/index.js';
import { createLogger } from '../../dist/shared/log.js';
import { openDb } from '../../dist/state/db.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const quick = process.argv.includes('--quick');
const WARM_RUNS = quick ? 2000 : 20000;
const COLD_RUNS = quick ? 5 : 20;
const THROUGHPUT_MS = quick ? 300 : 1500;
const payload = Buffer.from('{}');

const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-bench-'));
const db = openDb(dataDir);
const context = {
  db,
  dataDir,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  endpoint: () => 'http://127.0.0.1:4566',
  log: createLogger('bench'),
};

let names = 0;
const version = (name = `noop${++names}`) => ({
  name,
  version: '$LATEST',
  arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
  handler: 'index.handler',
  runtime: 'nodejs20.x',
  memoryMb: 128,
  timeoutS: 3,
  ephemeralStorageMb: 512,
  environment: {},
  description: '',
  codeSha256: 'bench',
  codeSize: 1,
  codeDir: join(here, 'noop'),
  lastModified: new Date().toISOString(),
  revisionId: 'bench',
});

const pool = new EnvironmentPool(context, { prestart: 2 });
const run = (fn, i) => pool.run({ fn, requestId: `req-${i}`, payload, invokedFunctionArn: fn.arn });
try {
  const floor = await ipcFloor();
  const warm = await warmRuns();
  line('warm no-op p50 (ms)', warm.p50, floor.p50, 'raw IPC round trip');
  line('warm no-op p99 (ms)', warm.p99, floor.p99, 'raw IPC round trip');

  const nodeStart = nodeStartMs();
  const cold = await coldStarts();
  line('cold start p50 (ms)', cold.p50, nodeStart, 'node -e 0');
  line('cold start max (ms)', cold.max, nodeStart, 'node -e 0');
  console.log(`  init duration p50 ${cold.initP50.toFixed(2)} ms (inside the environment)`);

  console.log('\nno-op throughput through the pool (runs/s):');
  for (const concurrency of [1, 2, 4, 8, 16, 32, 64]) {
    const rate = await throughput(concurrency);
    console.log(`  concurrency ${String(concurrency).padStart(2)}: ${Math.round(rate).toLocaleString('en-US')}`);
  }
} finally {
  await pool.close();
  db.close();
  rmSync(dataDir, { recursive: true, force: true });
}

async function ipcFloor() {
  const child = spawn(process.execPath, [join(here, 'echo-child.mjs')], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  let answer;
  child.on('message', () => answer());
  const once = () =>
    new Promise((resolve) => {
      answer = resolve;
      child.send({ t: 'invoke', id: 'req', p: '{}', arn: 'arn', deadline: 0 });
    });
  const times = [];
  for (let i = 0; i < WARM_RUNS / 10; i++) await once();
  for (let i = 0; i < WARM_RUNS; i++) {
    const started = performance.now();
    await once();
    times.push(performance.now() - started);
  }
  child.kill();
  return percentiles(times);
}

async function warmRuns() {
  const fn = version();
  const times = [];
  for (let i = 0; i < WARM_RUNS / 10; i++) await run(fn, i);
  for (let i = 0; i < WARM_RUNS; i++) {
    const started = performance.now();
    await run(fn, i);
    times.push(performance.now() - started);
  }
  return percentiles(times);
}

async function coldStarts() {
  const times = [];
  const inits = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250)); // let the pre-started runtimes refill
    const started = performance.now();
    const result = await run(version(), i);
    times.push(performance.now() - started);
    inits.push(result.initDurationMs);
    pool.retire(`noop${names}`);
  }
  return { ...percentiles(times), initP50: percentiles(inits).p50 };
}

function nodeStartMs() {
  const times = [];
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    times.push(performance.now() - started);
  }
  return percentiles(times).p50;
}

async function throughput(concurrency) {
  const fn = version();
  await Promise.all(Array.from({ length: concurrency }, (_, i) => run(fn, i))); // warm the environments
  let done = 0;
  const deadline = performance.now() + THROUGHPUT_MS;
  const worker = async () => {
    while (performance.now() < deadline) {
      await run(fn, done);
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const rate = done / ((performance.now() - started) / 1000);
  pool.retire(fn.name);
  return rate;
}

function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] };
}

function line(label, value, floor, floorLabel) {
  console.log(
    `${label.padEnd(22)} ${value.toFixed(3).padStart(8)}   vs ${floorLabel} ${floor.toFixed(3)}   ratio ${(value / floor).toFixed(2)}x`,
  );
}
