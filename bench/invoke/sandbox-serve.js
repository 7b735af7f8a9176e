// The sandbox's cost as users meet it: `lambdata serve` as its own process, functions deployed and
// invoked with @aws-sdk/client-lambda over HTTP, on the 'process' and the 'namespaces' level,
// alternated within one run (the same measurements as sandbox.js, which calls the library directly).
// Usage: npm run build && node bench/invoke/sandbox-serve.js [--quick]   (namespaces need Linux and root)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';
import { listeningUrl } from './serve-process.js';
import { here, percentiles, timeSequential } from './stats.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 2;
const WARM_RUNS = quick ? 300 : 2000;
const COLD_RUNS = quick ? 5 : 15;
const LEVELS = ['process', 'namespaces'];
const BIN = join(here, '../../bin/lambdata.js');
const ZIP = Buffer.from(zipSync({ 'index.mjs': readFileSync(join(here, 'noop/index.mjs')) }));

const results = Object.fromEntries(LEVELS.map((level) => [level, { warm50: [], warm99: [], cold: [] }]));
for (let round = 0; round < ROUNDS; round++) {
  for (const level of round % 2 === 0 ? LEVELS : [...LEVELS].reverse()) await measure(level, results[level]);
}
const median = (values) => percentiles(values).p50;
console.log(
  `\n${'over HTTP, lambdata serve in its own process'.padEnd(46)} ${'process'.padStart(9)} ${'namespaces'.padStart(11)}  ratio`,
);
for (const [label, key] of [
  ['SDK warm no-op Invoke p50 (ms)', 'warm50'],
  ['SDK warm no-op Invoke p99 (ms)', 'warm99'],
  ['SDK cold start p50 (ms)', 'cold'],
]) {
  const base = median(results.process[key]);
  const boxed = median(results.namespaces[key]);
  console.log(
    `${label.padEnd(46)} ${base.toFixed(3).padStart(9)} ${boxed.toFixed(3).padStart(11)}  ${(boxed / base).toFixed(2)}×`,
  );
}

async function measure(level, into) {
  const dataDir = mkdtempSync(join(tmpdir(), `lambdata-bench-serve-${level}-`));
  const serve = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'error', LAMBDATA_SANDBOX: level },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await listeningUrl(serve);
  const lambda = new LambdaClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  let names = 0;
  const deploy = async () => {
    const name = `fn${++names}`;
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs20.x',
        Role: 'arn:aws:iam::000000000000:role/lambda',
        Handler: 'index.handler',
        Code: { ZipFile: ZIP },
      }),
    );
    return name;
  };
  const invoke = (name) => () => lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}') }));
  try {
    const warmFn = await deploy();
    await timeSequential(invoke(warmFn), 50);
    const warm = await timeSequential(invoke(warmFn), WARM_RUNS);
    into.warm50.push(warm.p50);
    into.warm99.push(warm.p99);
    for (let i = 0; i < COLD_RUNS; i++) {
      const fresh = await deploy();
      await new Promise((resolve) => setTimeout(resolve, 300)); // pre-started runtimes refill
      const started = performance.now();
      await invoke(fresh)();
      into.cold.push(performance.now() - started);
    }
  } finally {
    lambda.destroy();
    serve.kill('SIGTERM');
    await new Promise((resolve) => serve.once('exit', resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}
