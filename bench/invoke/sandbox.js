// What the environment sandbox costs: the same measurements on the 'process' level (a plain child
// process, the environments of before the sandbox) and the 'namespaces' level (own mount/PID/IPC
// namespaces, function user, cgroups), alternated in one run so the machine's noise hits both.
// Usage: npm run build && node bench/invoke/sandbox.js [--quick]   (namespaces need Linux and root)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../../dist/engine.js';
import { here, percentiles, rate, timeSequential } from './stats.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 2;
const WARM_RUNS = quick ? 2000 : 10000;
const COLD_RUNS = quick ? 5 : 15;
const BURST = 10;
const LEVELS = ['process', 'namespaces'];

const results = Object.fromEntries(
  LEVELS.map((level) => [level, { warm50: [], warm99: [], cold: [], burst: [], rate: [] }]),
);
for (let round = 0; round < ROUNDS; round++) {
  for (const level of round % 2 === 0 ? LEVELS : [...LEVELS].reverse()) await measure(level, results[level]);
}

const median = (values) => percentiles(values).p50;
const rows = [
  ['warm no-op invoke p50 (ms)', 'warm50'],
  ['warm no-op invoke p99 (ms)', 'warm99'],
  ['cold start p50 (ms)', 'cold'],
  [`burst of ${BURST} cold 50 ms calls, all done (ms)`, 'burst'],
  ['no-op invocations/s at concurrency 8', 'rate'],
];
console.log(`\n${'measurement'.padEnd(44)} ${'process'.padStart(10)} ${'namespaces'.padStart(11)}  ratio`);
for (const [label, key] of rows) {
  const base = median(results.process[key]);
  const boxed = median(results.namespaces[key]);
  console.log(
    `${label.padEnd(44)} ${base.toFixed(3).padStart(10)} ${boxed.toFixed(3).padStart(11)}  ${(boxed / base).toFixed(2)}×`,
  );
}

async function measure(level, into) {
  const dataDir = mkdtempSync(join(tmpdir(), `lambdata-bench-sandbox-${level}-`));
  const engine = await createEngine({ dataDir, background: false, runtime: { sandbox: level } });
  let names = 0;
  const deploy = async (handler = 'index.handler') => {
    const name = `fn${++names}`;
    await engine.functions.create({ name, handler, code: { dir: join(here, 'noop') } });
    return name;
  };
  const invoker =
    (functionName, payload = '{}') =>
    () =>
      engine.invocations.invoke({ functionName, payload });
  try {
    const warmFn = await deploy();
    await timeSequential(invoker(warmFn), 200); // warm up
    const warm = await timeSequential(invoker(warmFn), WARM_RUNS);
    into.warm50.push(warm.p50);
    into.warm99.push(warm.p99);
    for (let i = 0; i < COLD_RUNS; i++) {
      const fresh = await deploy();
      await new Promise((resolve) => setTimeout(resolve, 300)); // pre-started runtimes refill
      const started = performance.now();
      await invoker(fresh)();
      into.cold.push(performance.now() - started);
      engine.runtime.retire(fresh);
    }
    const slow = await deploy('index.sleep');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    await Promise.all(Array.from({ length: BURST }, invoker(slow, '{"ms":50}')));
    into.burst.push(performance.now() - started);
    engine.runtime.retire(slow);
    const rateFn = await deploy();
    await rate(invoker(rateFn), 8, 300);
    into.rate.push(await rate(invoker(rateFn), 8, quick ? 500 : 1500));
    console.log(`${level}: sandbox ${engine.runtime.sandbox.level} (${engine.runtime.sandbox.features.join(', ')})`);
  } finally {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
