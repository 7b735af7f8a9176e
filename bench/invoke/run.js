// Runtime benchmark at the pool level: warm no-op runs beside a raw child-process socket round trip,
// cold start beside `node -e 0`, and no-op throughput at concurrency 1…64.
// Usage: npm run build && node bench/invoke/run.js [--quick]   (bench/invoke/engine.js goes through the engine)
import { join } from 'node:path';
import { EnvironmentPool } from '../../dist/runtime/index.js';
import {
  benchContext,
  compare,
  here,
  ipcFloor,
  nodeStartMs,
  percentiles,
  printRate,
  rate,
  rateWithCpu,
  timeSequential,
} from './stats.js';

const quick = process.argv.includes('--quick');
const WARM_RUNS = quick ? 2000 : 20000;
const COLD_RUNS = quick ? 5 : 20;
const THROUGHPUT_MS = quick ? 300 : 1500;
const SETTLE_MS = quick ? 100 : 300;
const payload = Buffer.from('{}');

const { context, close } = benchContext('lambdata-bench-', 'http://127.0.0.1:4566');

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
const runner = (fn) => (i) => pool.run({ fn, requestId: `req-${i}`, payload, invokedFunctionArn: fn.arn });
try {
  const floor = await ipcFloor(WARM_RUNS);
  const warm = await timeSequential(runner(version()), WARM_RUNS);
  compare('pool warm no-op p50 (ms)', warm.p50, floor.p50, 'raw socket round trip');
  compare('pool warm no-op p99 (ms)', warm.p99, floor.p99, 'raw socket round trip');

  const nodeStart = nodeStartMs();
  const times = [];
  const inits = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250)); // let the pre-started runtimes refill
    const fn = version();
    const started = performance.now();
    const result = await runner(fn)(i);
    times.push(performance.now() - started);
    inits.push(result.initDurationMs);
    pool.retire(fn.name);
  }
  const cold = percentiles(times);
  compare('pool cold start p50 (ms)', cold.p50, nodeStart, 'node -e 0');
  compare('pool cold start max (ms)', cold.max, nodeStart, 'node -e 0');
  console.log(`  init duration p50 ${percentiles(inits).p50.toFixed(2)} ms (inside the environment)`);

  console.log('\nno-op throughput through the pool (runs/s):');
  for (const concurrency of [1, 2, 4, 8, 16, 32, 64]) {
    const fn = version();
    await Promise.all(Array.from({ length: concurrency }, (_, i) => runner(fn)(i))); // warm them
    await rate(runner(fn), concurrency, SETTLE_MS); // let the pool settle (pre-started runtimes refill, caps apply)
    const measured = await rateWithCpu(runner(fn), concurrency, THROUGHPUT_MS);
    pool.retire(fn.name);
    printRate(concurrency, measured);
  }
} finally {
  await pool.close();
  close();
}
