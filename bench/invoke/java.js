// Java functions as users meet them: `lambdata serve` in its own process (default sandbox), a no-op
// java17 RequestHandler compiled here against lambdata's runtime jar, deployed and invoked with
// @aws-sdk/client-lambda over HTTP. Measures, in the same run: `java -version` (the JVM's own start),
// the cold start (first Invoke after CreateFunction, and the REPORT line's Init Duration), and the
// warm no-op Invoke, beside a Node no-op's warm Invoke for scale.
// Usage: npm run build && node bench/invoke/java.js [--quick]   (needs a JDK: javac and java)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';
import { listeningUrl } from './serve-process.js';
import { here, percentiles, timeSequential } from './stats.js';

const quick = process.argv.includes('--quick');
const COLD_RUNS = quick ? 3 : 10;
const WARM_RUNS = quick ? 200 : 1000;
const VERSION_RUNS = quick ? 3 : 10;
const BIN = join(here, '../../bin/lambdata.js');
const RUNTIME_JAR = join(here, '../../dist/runtime/java/lambdata-java-runtime.jar');

const work = mkdtempSync(join(tmpdir(), 'lambdata-bench-java-'));
const dataDir = join(work, 'data');
let serve;
try {
  const javaZip = compileNoop();
  const nodeZip = Buffer.from(zipSync({ 'index.mjs': readFileSync(join(here, 'noop/index.mjs')) }));

  const versionTimes = [];
  for (let i = 0; i < VERSION_RUNS; i++) {
    const started = performance.now();
    spawnSync('java', ['-version'], { stdio: 'ignore' });
    versionTimes.push(performance.now() - started);
  }

  serve = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await listeningUrl(serve);
  const lambda = new LambdaClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  let names = 0;
  const deploy = async (runtime, handler, zip) => {
    const name = `fn${++names}`;
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: runtime,
        Role: 'arn:aws:iam::000000000000:role/lambda',
        Handler: handler,
        Code: { ZipFile: zip },
        Timeout: 30,
      }),
    );
    return name;
  };
  const invoke = (name, logType) =>
    lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from('{}'), LogType: logType }));

  const coldTimes = [];
  const initDurations = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const name = await deploy('java17', 'bench.Noop', javaZip);
    const started = performance.now();
    const out = await invoke(name, 'Tail');
    coldTimes.push(performance.now() - started);
    if (out.FunctionError) throw new Error(`cold invoke failed: ${Buffer.from(out.Payload ?? []).toString()}`);
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    const init = /Init Duration: ([\d.]+) ms/.exec(log);
    if (init) initDurations.push(Number(init[1]));
  }
  const javaFn = await deploy('java17', 'bench.Noop', javaZip);
  const javaWarm = await timeSequential(() => invoke(javaFn), WARM_RUNS);
  const nodeFn = await deploy('nodejs20.x', 'index.handler', nodeZip);
  const nodeWarm = await timeSequential(() => invoke(nodeFn), WARM_RUNS);
  lambda.destroy();

  const version = percentiles(versionTimes);
  const cold = percentiles(coldTimes);
  const init = percentiles(initDurations);
  const row = (label, value) => console.log(`${label.padEnd(52)} ${value}`);
  console.log(`\nJava functions over HTTP (lambdata serve, default sandbox), load average ${loadAverage()}`);
  row('`java -version`, p50 / max (ms)', `${version.p50.toFixed(1)} / ${version.max.toFixed(1)}`);
  row('java17 cold start (first Invoke), p50 / max (ms)', `${cold.p50.toFixed(1)} / ${cold.max.toFixed(1)}`);
  row('java17 cold start Init Duration, p50 (ms)', init.p50.toFixed(1));
  row('cold start / `java -version` (p50)', `${(cold.p50 / version.p50).toFixed(2)}×`);
  row('java17 warm no-op Invoke, p50 / p99 (ms)', `${javaWarm.p50.toFixed(2)} / ${javaWarm.p99.toFixed(2)}`);
  row('nodejs20.x warm no-op Invoke, p50 / p99 (ms)', `${nodeWarm.p50.toFixed(2)} / ${nodeWarm.p99.toFixed(2)}`);
} finally {
  if (serve) {
    serve.kill('SIGTERM');
    await new Promise((resolve) => serve.once('exit', resolve));
  }
  rmSync(work, { recursive: true, force: true });
}

/** javac's no-op handler, zipped with its classes at the root (AWS's layout). */
function compileNoop() {
  const classes = join(work, 'classes');
  execFileSync('javac', ['--release', '17', '-cp', RUNTIME_JAR, '-d', classes, join(here, 'java-noop/Noop.java')]);
  const files = {};
  for (const name of readdirSync(join(classes, 'bench')))
    files[`bench/${name}`] = readFileSync(join(classes, 'bench', name));
  return Buffer.from(zipSync(files));
}

function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(', ');
}
