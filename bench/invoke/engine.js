// Invocation benchmark through the library (createEngine + functions.create + invocations.invoke)
// and over HTTP with @aws-sdk/client-lambda, each beside its floor: a raw child-process socket round
// trip, `node -e 0`, and the same SDK against a bare node:http server that answers at once.
// Usage: npm run build && node bench/invoke/engine.js [--quick] [--throughput]
// Each throughput row also prints the CPU one invocation cost (engine + environment processes), which
// holds on a loaded machine, and the rate that CPU cost allows on 2 idle cores.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { startServer } from '../../dist/api/index.js';
import { createEngine } from '../../dist/engine.js';
import {
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
/** `--throughput`: only the throughput table (for profiling runs). */
const throughputOnly = process.argv.includes('--throughput');
const WARM_RUNS = quick ? 2000 : 20000;
const HTTP_RUNS = quick ? 500 : 3000;
const COLD_RUNS = quick ? 5 : 20;
const THROUGHPUT_MS = quick ? 300 : 1500;
const SETTLE_MS = quick ? 100 : 300;

const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-bench-'));
const engine = await createEngine({ dataDir, background: false });
let names = 0;
const deploy = async () => {
  const name = `noop${++names}`;
  await engine.functions.create({ name, handler: 'index.handler', code: { dir: join(here, 'noop') } });
  return name;
};
const invoker = (functionName) => () => engine.invocations.invoke({ functionName, payload: '{}' });
try {
  const name = await deploy();
  if (!throughputOnly) await latencies(name);

  console.log('\nno-op throughput through the library (invocations/s):');
  for (const concurrency of [1, 2, 4, 8, 16, 32, 64]) {
    const fn = await deploy();
    await Promise.all(Array.from({ length: concurrency }, invoker(fn)));
    await rate(invoker(fn), concurrency, SETTLE_MS); // let the pool settle (pre-started runtimes refill, caps apply)
    const measured = await rateWithCpu(invoker(fn), concurrency, THROUGHPUT_MS);
    engine.runtime.retire(fn);
    printRate(concurrency, measured);
  }

  if (!throughputOnly) await httpInvoke(name);
} finally {
  await engine.close();
  rmSync(dataDir, { recursive: true, force: true });
}

async function latencies(name) {
  const floor = await ipcFloor(WARM_RUNS);
  const warm = await timeSequential(invoker(name), WARM_RUNS);
  compare('library warm no-op p50 (ms)', warm.p50, floor.p50, 'raw socket round trip');
  compare('library warm no-op p99 (ms)', warm.p99, floor.p99, 'raw socket round trip');

  const nodeStart = nodeStartMs();
  const times = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const fresh = await deploy();
    await new Promise((resolve) => setTimeout(resolve, 250)); // let the pre-started runtimes refill
    const started = performance.now();
    await invoker(fresh)();
    times.push(performance.now() - started);
    engine.runtime.retire(fresh);
  }
  const cold = percentiles(times);
  compare('library cold start p50 (ms)', cold.p50, nodeStart, 'node -e 0');
  compare('library cold start max (ms)', cold.max, nodeStart, 'node -e 0');
}

async function httpInvoke(functionName) {
  const server = await startServer(engine, { port: 0 });
  const bare = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' });
      res.end('null');
    });
  });
  await new Promise((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const client = (endpoint) =>
    new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const lambdata = client(server.url);
  const floorClient = client(`http://127.0.0.1:${bare.address().port}`);
  const command = () => new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from('{}') });
  try {
    const floor = await timeSequential(() => floorClient.send(command()), HTTP_RUNS);
    const through = await timeSequential(() => lambdata.send(command()), HTTP_RUNS);
    console.log('');
    compare('HTTP Invoke p50 (ms)', through.p50, floor.p50, 'SDK vs bare http');
    compare('HTTP Invoke p99 (ms)', through.p99, floor.p99, 'SDK vs bare http');
  } finally {
    lambdata.destroy();
    floorClient.destroy();
    bare.close();
    await server.close();
  }
}
