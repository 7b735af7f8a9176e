// A burst of first invocations as users meet it (issue 17, "Under a burst"): `lambdata serve` as its
// own process; a Node function whose package carries a heavy generated module tree (the size of an
// `aws-sdk` v2 require) and sets NODE_OPTIONS, so every cold start is a fresh process; N concurrent
// first invocations through @aws-sdk/client-lambda, each reading one small object through S3. While
// the burst runs, /_lambdata/health and a 15-byte GetObject are sampled every 50 ms and a warm
// function with a 2 s timeout is invoked again and again to see when its timeout fires.
// Reports health and GET p99, the burst's wall time against its CPU work divided by the cores (the
// functions' own process CPU, and the reported Init Duration + Duration), timeouts, and timer drift.
// Also prints how late serve's event loop and this process's ran (serve's from /_lambdata/health), and
// a bare node:http server's answer times sampled the same way (the floor), so a slow health answer can
// be told apart from a blocked server or a starved machine. Both are also sampled from a process of
// its own (sampler.mjs), whose answer times this process's busy event loop does not inflate.
// Usage: npm run build && node bench/burst/run.js [--quick] [--count N] [--root CHECKOUT] [--profile DIR]
//   --root runs another checkout's built `lambdata` (a before/after comparison in one run).
//   --profile DIR: run serve with --cpu-prof, writing its CPU profile into DIR when it stops.
//   --no-raise: serve's event loop stays at its starting niceness (LAMBDATA_RAISE_PRIORITY=0), for an A/B run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { zipSync } from 'fflate';
import { startBareServer } from '../invoke/serve-process.js';
import { percentiles } from '../invoke/stats.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    count: { type: 'string' },
    root: { type: 'string' },
    modules: { type: 'string', default: '250' },
    profile: { type: 'string' },
    'no-raise': { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.count ?? (values.quick ? 40 : 250));
const MODULES = Number(values.modules);
const ROOT = resolve(values.root ?? join(import.meta.dirname, '../..'));
const CORES = availableParallelism();
const SAMPLE_MS = 50;
const TIMER_FN_TIMEOUT_S = 2;
/** Give up on the burst after this long (the engine before issue 17 could take minutes). */
const BURST_LIMIT_MS = 15 * 60_000;

const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-bench-burst-'));
const profile = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${resolve(values.profile)}`] : [];
const serve = spawn(
  process.execPath,
  [...profile, join(ROOT, 'bin/lambdata.js'), 'serve', '--port', '0', '--data-dir', dataDir],
  {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dataDir,
      LAMBDATA_LOG: 'error',
      ...(values['no-raise'] ? { LAMBDATA_RAISE_PRIORITY: '0' } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
try {
  const url = await new Promise((resolveUrl, reject) => {
    serve.once('exit', (code) => reject(new Error(`lambdata serve exited (${code})`)));
    createInterface({ input: serve.stdout }).on('line', (line) => {
      const match = /listening on (\S+)/.exec(line);
      if (match) resolveUrl(match[1]);
    });
  });
  await run(url);
} finally {
  serve.kill('SIGTERM');
  await new Promise((done) => (serve.exitCode === null ? serve.once('exit', done) : done()));
  rmSync(dataDir, { recursive: true, force: true });
}

async function run(url) {
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const client = (maxSockets) => ({
    endpoint: url,
    region: 'us-east-1',
    credentials,
    forcePathStyle: true,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets }) }),
  });
  const lambda = new LambdaClient(client(COUNT + 8));
  const probeLambda = new LambdaClient(client(4));
  const s3 = new S3Client(client(4));
  await s3.send(new CreateBucketCommand({ Bucket: 'burst' }));
  await s3.send(new PutObjectCommand({ Bucket: 'burst', Key: 'small.txt', Body: 'fifteen bytes!\n' }));
  const deploy = (name, zip, extra) =>
    lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs20.x',
        Role: 'arn:aws:iam::000000000000:role/lambda',
        Handler: 'index.handler',
        Code: { ZipFile: zip },
        ...extra,
      }),
    );
  await deploy('burst', heavyPackage(MODULES), {
    Timeout: 60,
    MemorySize: 256,
    Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
  });
  await deploy('sleeper', sleeperPackage(), { Timeout: TIMER_FN_TIMEOUT_S });
  await probeLambda.send(new InvokeCommand({ FunctionName: 'sleeper', Payload: '{"ms":0}' })); // warm

  const health = [];
  const floorHealth = [];
  const loopWindows = [];
  // Windows that ended before the burst (start-up, deploys) are left out.
  const firstWindow = (await (await fetch(`${url}/_lambdata/health`)).json()).eventLoopDelayMs?.window ?? 0;
  // The floor: a bare node:http server in its own process (nice 0), sampled the same way, so what the
  // machine's load and this client add to every answer shows beside serve's figure.
  const floor = await startBareServer();
  const gets = [];
  const drifts = [];
  let bursting = true;
  const sampler = async (into, once) => {
    while (bursting) {
      const started = performance.now();
      await once();
      into.push(performance.now() - started);
      await new Promise((done) => setTimeout(done, Math.max(0, SAMPLE_MS - (performance.now() - started))));
    }
  };
  const timerProbe = async () => {
    while (bursting) {
      const out = await probeLambda.send(
        new InvokeCommand({ FunctionName: 'sleeper', Payload: '{"ms":60000}', LogType: 'Tail' }),
      );
      // A timeout's reported Duration is the time from the invocation's start to the engine's timer firing.
      const report = /Duration: ([\d.]+) ms/.exec(Buffer.from(out.LogResult ?? '', 'base64').toString());
      if (out.FunctionError && report) drifts.push(Number(report[1]) - TIMER_FN_TIMEOUT_S * 1000);
    }
  };
  const samplers = [
    sampler(health, async () => {
      const res = await fetch(`${url}/_lambdata/health`);
      if (!res.ok) throw new Error(`health answered ${res.status}`);
      const loop = (await res.json()).eventLoopDelayMs;
      // serve reports its loop per 10 s window: keep each full window once, from the burst's start on.
      if (loop?.window > (loopWindows.at(-1)?.window ?? firstWindow)) loopWindows.push(loop);
    }),
    sampler(floorHealth, async () => {
      const res = await fetch(`${floor.url}/health`);
      await res.arrayBuffer();
    }),
    sampler(gets, async () => {
      const out = await s3.send(new GetObjectCommand({ Bucket: 'burst', Key: 'small.txt' }));
      if ((await out.Body.transformToString()).length !== 15) throw new Error('short GET');
    }),
    timerProbe(),
  ];

  const apart = startSampler({ health: `${url}/_lambdata/health`, floor: `${floor.url}/health` });
  const ownLoop = monitorEventLoopDelay({ resolution: 10 });
  ownLoop.enable();
  const started = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: COUNT }, async (_, i) => {
      const out = await lambda.send(
        new InvokeCommand({ FunctionName: 'burst', Payload: JSON.stringify({ i }), LogType: 'Tail' }),
      );
      const finished = performance.now() - started;
      const payload = JSON.parse(Buffer.from(out.Payload ?? []).toString() || 'null');
      const tail = Buffer.from(out.LogResult ?? '', 'base64').toString();
      const report = /Duration: ([\d.]+) ms.*?(?:Init Duration: ([\d.]+) ms)?\s*$/m.exec(tail);
      return {
        finished,
        error: out.FunctionError ? (payload?.errorType ?? out.FunctionError) : undefined,
        cpuMs: payload?.cpuMs ?? 0,
        reportedMs: report ? Number(report[1]) + Number(report[2] ?? 0) : 0,
        cold: report?.[2] !== undefined,
      };
    }),
  ).finally(() => {
    bursting = false;
  });
  const wallMs = performance.now() - started;
  await Promise.all(samplers);
  const sampledApart = await apart.stop();
  ownLoop.disable();
  await floor.stop();
  for (const c of [lambda, probeLambda, s3]) c.destroy();
  if (wallMs > BURST_LIMIT_MS) console.log('(the burst ran past its limit)');

  const sum = (key) => outcomes.reduce((total, o) => total + o[key], 0);
  const errors = outcomes.filter((o) => o.error);
  const kinds = {};
  for (const o of errors) kinds[o.error] = (kinds[o.error] ?? 0) + 1;
  const cpuFloor = sum('cpuMs') / CORES;
  const reportedFloor = sum('reportedMs') / CORES;
  const h = percentiles(health);
  const g = percentiles(gets);
  const fh = percentiles(floorHealth);
  const d = drifts.length ? percentiles(drifts) : undefined;
  const f = (ms) => `${(ms / 1000).toFixed(2)} s`;
  console.log(
    `burst of ${COUNT} first invocations (${MODULES} generated modules + @aws-sdk/client-s3, NODE_OPTIONS set), ${CORES} cores`,
  );
  console.log(
    `  checkout                             ${ROOT}${values['no-raise'] ? ' (LAMBDATA_RAISE_PRIORITY=0)' : ''}`,
  );
  console.log(`  burst wall time                      ${f(wallMs)}`);
  console.log(`  functions' own CPU / cores           ${f(cpuFloor)}   wall ${(wallMs / cpuFloor).toFixed(2)}× it`);
  console.log(
    `  reported Init+Duration / cores       ${f(reportedFloor)}   wall ${(wallMs / reportedFloor).toFixed(2)}× it`,
  );
  const cold = outcomes.filter((o) => o.cold);
  console.log(`  cold starts (others reused one)      ${cold.length} of ${COUNT}`);
  if (cold.length)
    console.log(`  cold start CPU p50 (function's own)   ${percentiles(cold.map((o) => o.cpuMs)).p50.toFixed(0)} ms`);
  console.log(
    `  errors                               ${errors.length}${errors.length ? ` ${JSON.stringify(kinds)}` : ''}`,
  );
  console.log(
    `  health p50 / p99 / max (${String(health.length).padStart(4)} samples) ${h.p50.toFixed(1)} / ${h.p99.toFixed(1)} / ${h.max.toFixed(1)} ms`,
  );
  console.log(
    `  floor: bare server p50 / p99 / max (${String(floorHealth.length).padStart(4)}) ${fh.p50.toFixed(1)} / ${fh.p99.toFixed(1)} / ${fh.max.toFixed(1)} ms`,
  );
  const ah = percentiles(sampledApart.health);
  const af = percentiles(sampledApart.floor);
  console.log(
    `  sampled from a process of its own: health p50 / p99 / max (${sampledApart.health.length}) ${ah.p50.toFixed(1)} / ${ah.p99.toFixed(1)} / ${ah.max.toFixed(1)} ms;` +
      ` floor ${af.p50.toFixed(1)} / ${af.p99.toFixed(1)} / ${af.max.toFixed(1)} ms; the sampler's loop late p99 ${sampledApart.ownLoopP99Ms.toFixed(1)} ms`,
  );
  console.log(
    `  15-byte GET p50 / p99 / max (${String(gets.length).padStart(4)})   ${g.p50.toFixed(1)} / ${g.p99.toFixed(1)} / ${g.max.toFixed(1)} ms`,
  );
  console.log(
    `  2 s timeout fired late by p50 / max  ${d ? `${d.p50.toFixed(0)} / ${d.max.toFixed(0)} ms (${drifts.length} timeouts)` : 'no timeout fired during the burst'}`,
  );
  const windows = loopWindows.slice(1); // the first began before the burst
  if (windows.length) {
    const p99s = percentiles(windows.map((w) => w.p99));
    console.log(
      `  serve's event loop late, 10 s windows  p99 median ${p99s.p50} / worst ${p99s.max} ms, max ${Math.max(...windows.map((w) => w.max))} ms (${windows.length} windows)`,
    );
  }
  const late = (q) => Math.max(0, (q === 'max' ? ownLoop.max : ownLoop.percentile(q)) / 1e6 - 10).toFixed(1);
  console.log(`  this client's event loop late by p50 / p99 / max  ${late(50)} / ${late(99)} / ${late('max')} ms`);
  const done = percentiles(outcomes.map((o) => o.finished));
  console.log(`  invocation done after p50 / p99      ${f(done.p50)} / ${f(done.p99)}`);
}

/** sampler.mjs in its own process, timing GETs of `targets` until `stop()`, which returns its samples. */
function startSampler(targets) {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'sampler.mjs'), JSON.stringify(targets), String(SAMPLE_MS)],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const result = new Promise((resolveResult, reject) => {
    createInterface({ input: child.stdout }).once('line', (line) => resolveResult(JSON.parse(line)));
    child.once('exit', (code) => reject(new Error(`the sampler exited (${code}) before reporting`)));
  });
  return {
    stop() {
      child.stdin.end('stop\n');
      return result;
    },
  };
}

/** A function that loads a generated module tree and @aws-sdk/client-s3 at init, then reads one object. */
function heavyPackage(modules) {
  const files = {};
  const names = [];
  for (let m = 0; m < modules; m++) {
    const name = `lib/m${m}.js`;
    names.push(name);
    let body = `'use strict';\nconst shape${m} = {\n`;
    for (let k = 0; k < 60; k++)
      body += `  op${k}: { name: 'Operation${m}_${k}', http: { method: 'POST', requestUri: '/${m}/${k}' }, input: { type: 'structure', members: { A: { type: 'string' }, B: { type: 'integer', min: ${k} } } } },\n`;
    body += `};\nclass Service${m} {\n  constructor(c) { this.c = c; }\n`;
    for (let k = 0; k < 20; k++)
      body += `  call${k}(p) { const o = shape${m}.op${k}; return { op: o.name, uri: o.http.requestUri, p: JSON.stringify(p) + ${k} }; }\n`;
    body += `}\nmodule.exports = { Service${m}, shape${m} };\n`;
    files[name] = Buffer.from(body);
  }
  files['lib/index.js'] = Buffer.from(names.map((n, i) => `exports.s${i} = require('./${n.slice(4)}');`).join('\n'));
  files['index.js'] = Buffer.from(`'use strict';
const sdk = require('./lib/index.js');
const { S3Client, GetObjectCommand } = require('@aws-sdk/client-s3');
const s3 = new S3Client({ forcePathStyle: true });
let spent = 0;
exports.handler = async () => {
  const out = await s3.send(new GetObjectCommand({ Bucket: 'burst', Key: 'small.txt' }));
  const text = await out.Body.transformToString();
  const cpu = process.cpuUsage();
  const total = (cpu.user + cpu.system) / 1000;
  const cpuMs = total - spent; // the process's start and init count toward its first invocation
  spent = total;
  return { bytes: text.length, services: Object.keys(sdk).length, cpuMs };
};
`);
  return Buffer.from(zipSync(files, { level: 1 }));
}

function sleeperPackage() {
  return Buffer.from(
    zipSync({
      'index.mjs': Buffer.from(
        'export const handler = (event) => new Promise((done) => setTimeout(done, event.ms));\n',
      ),
    }),
  );
}
