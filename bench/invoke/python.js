// Python functions through the library (createEngine + functions.create + invocations.invoke): cold
// start (first invoke after deploy) beside `python3 -c pass`, and warm no-op invoke beside Node's
// warm no-op invoke, all measured in the same run on the same engine.
// Usage: npm run build && node bench/invoke/python.js [--quick]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../../dist/engine.js';
import { findPython } from '../../dist/runtime/index.js';
import { compare, here, percentiles, timeSequential } from './stats.js';

const quick = process.argv.includes('--quick');
const WARM_RUNS = quick ? 500 : 5000;
const COLD_RUNS = quick ? 5 : 20;

const python = findPython();
if (!python) {
  console.log('no python3 on this machine: nothing to measure');
  process.exit(0);
}
const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-bench-python-'));
const engine = await createEngine({ dataDir, background: false });
let names = 0;
const deploy = async (runtime) => {
  const name = `noop${++names}`;
  const node = runtime.startsWith('nodejs');
  await engine.functions.create({
    name,
    runtime,
    handler: node ? 'index.handler' : 'lambda_function.lambda_handler',
    code: { dir: join(here, node ? 'noop' : 'noop-python') },
  });
  return name;
};
const invoker = (functionName) => async () => {
  const result = await engine.invocations.invoke({ functionName, payload: '{}' });
  if (result.functionError) throw new Error(`${functionName} failed: ${Buffer.from(result.payload).toString()}`);
};
try {
  console.log(`python: ${python.path} (Python ${python.version}), sandbox: ${engine.runtime.sandbox.level}`);
  const pythonStart = startMs(python.path, ['-c', 'pass']);
  const cold = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const fresh = await deploy(`python${python.version}`);
    await new Promise((resolve) => setTimeout(resolve, 1000)); // let pre-started interpreters start and load the bootstrap
    const started = performance.now();
    await invoker(fresh)();
    cold.push(performance.now() - started);
    engine.runtime.retire(fresh);
  }
  const coldStats = percentiles(cold);
  compare('python cold start p50 (ms)', coldStats.p50, pythonStart, 'python3 -c pass');
  compare('python cold start max (ms)', coldStats.max, pythonStart, 'python3 -c pass');

  const nodeFn = await deploy('nodejs20.x');
  const pyFn = await deploy(`python${python.version}`);
  await invoker(nodeFn)();
  await invoker(pyFn)();
  const nodeWarm = await timeSequential(invoker(nodeFn), WARM_RUNS);
  const pyWarm = await timeSequential(invoker(pyFn), WARM_RUNS);
  compare('python warm no-op p50 (ms)', pyWarm.p50, nodeWarm.p50, 'node warm no-op');
  compare('python warm no-op p99 (ms)', pyWarm.p99, nodeWarm.p99, 'node warm no-op');
} finally {
  await engine.close();
  rmSync(dataDir, { recursive: true, force: true });
}

/** Median wall time of running `command args` to its end. */
function startMs(command, args) {
  const times = [];
  for (let i = 0; i < 10; i++) {
    const started = performance.now();
    spawnSync(command, args);
    times.push(performance.now() - started);
  }
  return percentiles(times).p50;
}
