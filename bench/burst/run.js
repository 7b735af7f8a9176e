// A burst of first invocations as users meet it (issue 17, "Under a burst"): `lambdata serve` as its
// own process; a Node function whose package carries a heavy generated module tree (the size of an
// `aws-sdk` v2 require) and sets NODE_OPTIONS, so every cold start is a fresh process; N concurrent
// first invocations through @aws-sdk/client-lambda, each reading one small object through S3. The
// burst runs --rounds times, each round against a function deployed fresh for it (so its invocations
// are first ones again). While a round runs, a process of its own (sampler.mjs) times
// /_lambdata/health, a 15-byte GetObject and a bare node:http server in a process of its own (the
// floor: what the machine's load alone adds to an answer), health and floor every --sample-ms, the
// GET every 5 × that, whether or not the last answered; and a warm function with a 2 s timeout is
// invoked again and again to see when its timeout fires. Answer times are pooled over the rounds, so
// the p99 comes from hundreds of samples. Reports health and GET p99 beside the floor's, the burst's
// wall time against its CPU work divided by the cores (the functions' own process CPU, and the
// reported Init Duration + Duration), timeouts, how late serve's event loop ran (from
// /_lambdata/health) and this process's, and how long serve's and the floor's event-loop threads
// waited for a CPU (/proc schedstat: a starved server, told apart from a busy one).
// Usage: npm run build && node bench/burst/run.js [--quick] [--count N] [--rounds N] [--sample-ms MS]
//          [--root CHECKOUT] [--profile DIR] [--no-raise] [--sampler-nice N]
//   --quick: 40 invocations, one round (CI keeps the benchmark working with it).
//   --root runs another checkout's built `lambdata` (a before/after comparison in one run).
//   --profile DIR: run serve with --cpu-prof, writing its CPU profile into DIR when it stops.
//   --sampler-nice N: the autogroup nice of the sampler's, the floor's and this process's sessions
//     (default -10; this process's is put back when it ends).
//   --no-raise: serve stays at its starting niceness and out of a cpu group of its own
//     (LAMBDATA_RAISE_PRIORITY=0), for an A/B run.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { listeningUrl } from '../invoke/serve-process.js';
import { percentiles } from '../invoke/stats.js';
import { heavyPackage, sleeperPackage } from './packages.js';
import { detached, raiseAutogroup, schedDiff, schedstat, startBareServer, startSampler } from './processes.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    count: { type: 'string' },
    rounds: { type: 'string' },
    'sample-ms': { type: 'string', default: '10' },
    root: { type: 'string' },
    modules: { type: 'string', default: '250' },
    profile: { type: 'string' },
    'no-raise': { type: 'boolean', default: false },
    'sampler-nice': { type: 'string' },
  },
});
const COUNT = Number(values.count ?? (values.quick ? 40 : 250));
const MODULES = Number(values.modules);
const ROOT = resolve(values.root ?? join(import.meta.dirname, '../..'));
const CORES = availableParallelism();
const ROUNDS = Number(values.rounds ?? (values.quick ? 1 : 5));
const SAMPLE_MS = Number(values['sample-ms']);
/** GetObject is sampled 5× less often: signing one costs the sampler ~1 ms of CPU the burst would miss. */
const GET_EVERY = 5;
/**
 * Where the processes run (Linux schedules each session as one autogroup, weighing one nice-0 thread
 * by default): serve in a session of its own, as when started from its own terminal, so how it places
 * itself is all that counts; the sampler and the floor each in a session of its own, and this
 * process in the one it was started in, their autogroups raised to SAMPLER_NICE (-10 weighs 9,548),
 * as clients that do not share the sandboxes' CPU would be. A starved sampler inflates every answer
 * it times, serve's and the floor's alike; a starved client, the burst's wall time.
 */
const SAMPLER_NICE = Number(values['sampler-nice'] ?? -10);
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
    detached: true,
  },
);
detached.add(serve);
const ownAutogroup = raiseAutogroup('self', SAMPLER_NICE);
const autogroupNice = ownAutogroup ? SAMPLER_NICE : 'unchanged (no autogroups, or not allowed)';
// The autogroup is the session's (a terminal's, say): put it back however this process ends.
process.once('exit', () => ownAutogroup?.restore());
// The processes above run in sessions of their own, so Ctrl-C reaches only this one: end them here.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    for (const child of detached) child.kill('SIGTERM');
    await new Promise((done) => (serve.exitCode === null ? serve.once('exit', done) : done()));
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(130);
  });
}
try {
  const url = await listeningUrl(serve);
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
  const heavy = heavyPackage(MODULES);
  await deploy('sleeper', sleeperPackage(), { Timeout: TIMER_FN_TIMEOUT_S });
  await probeLambda.send(new InvokeCommand({ FunctionName: 'sleeper', Payload: '{"ms":0}' })); // warm

  // The floor: a bare node:http server in its own process (nice 0), sampled the same way, so what the
  // machine's load and the sampler add to every answer shows beside serve's figure.
  const floor = await startBareServer(SAMPLER_NICE);
  const sampler = await startSampler(
    {
      health: { everyMs: SAMPLE_MS, url: `${url}/_lambdata/health` },
      floor: { everyMs: SAMPLE_MS, url: `${floor.url}/health` },
      get: { everyMs: SAMPLE_MS * GET_EVERY, endpoint: url, bucket: 'burst', key: 'small.txt' },
    },
    SAMPLER_NICE,
  );
  const loopWindows = [];
  // Windows that ended before the bursts (start-up, deploys) are left out.
  const firstWindow = (await (await fetch(`${url}/_lambdata/health`)).json()).eventLoopDelayMs?.window ?? 0;
  const drifts = [];
  const rounds = [];
  const ownLoop = monitorEventLoopDelay({ resolution: 10 });
  for (let round = 0; round < ROUNDS; round++) {
    const name = `burst-${round + 1}`;
    await deploy(name, heavy, {
      Timeout: 60,
      MemorySize: 256,
      Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } },
    });
    let bursting = true;
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
    // serve reports its loop per 10 s window: keep each full window once, from the first burst's start on.
    const loopProbe = async () => {
      while (bursting) {
        const loop = (await (await fetch(`${url}/_lambdata/health`)).json()).eventLoopDelayMs;
        if (loop?.window > (loopWindows.at(-1)?.window ?? firstWindow)) loopWindows.push(loop);
        await new Promise((done) => setTimeout(done, 200));
      }
    };
    await sampler.send('start');
    const loopThreads = [schedstat(serve.pid), schedstat(floor.pid)];
    const probes = [timerProbe(), loopProbe()];
    // Awaited after the burst; a failure meanwhile (serve gone) must not end the process before the cleanup.
    for (const probe of probes) probe.catch(() => undefined);
    ownLoop.enable();
    const started = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: COUNT }, async (_, i) => {
        const out = await lambda.send(
          new InvokeCommand({ FunctionName: name, Payload: JSON.stringify({ i }), LogType: 'Tail' }),
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
    const [serveLoop, floorLoop] = [schedstat(serve.pid), schedstat(floor.pid)].map((now, i) =>
      schedDiff(now, loopThreads[i]),
    );
    await sampler.send('pause');
    ownLoop.disable();
    await Promise.all(probes);
    rounds.push({ wallMs, outcomes, serveLoop, floorLoop });
    if (wallMs > BURST_LIMIT_MS) console.log('(the burst ran past its limit)');
  }
  const sampled = await sampler.stop();
  await floor.stop();
  for (const c of [lambda, probeLambda, s3]) c.destroy();
  report({ rounds, sampled, drifts, loopWindows, ownLoop });
}

function report({ rounds, sampled, drifts, loopWindows, ownLoop }) {
  const outcomes = rounds.flatMap((r) => r.outcomes);
  const wallMs = rounds.reduce((total, r) => total + r.wallMs, 0);
  const sum = (key) => outcomes.reduce((total, o) => total + o[key], 0);
  const errors = outcomes.filter((o) => o.error);
  const kinds = {};
  for (const o of errors) kinds[o.error] = (kinds[o.error] ?? 0) + 1;
  const cpuFloor = sum('cpuMs') / CORES;
  const reportedFloor = sum('reportedMs') / CORES;
  const f = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const ms = (x) => x.toFixed(1);
  const answers = (samples) => {
    if (!samples.length) return 'no samples';
    const p = percentiles(samples);
    return `${ms(p.p50)} / ${ms(p.p99)} / ${ms(p.max)} ms (${samples.length} samples)`;
  };
  console.log(
    `burst of ${COUNT} first invocations × ${ROUNDS} rounds (${MODULES} generated modules + @aws-sdk/client-s3, NODE_OPTIONS set), ${CORES} cores`,
  );
  console.log(
    `  checkout                             ${ROOT}${values['no-raise'] ? ' (LAMBDATA_RAISE_PRIORITY=0)' : ''}`,
  );
  console.log(`  burst wall time, each round          ${rounds.map((r) => f(r.wallMs)).join(', ')}`);
  console.log(`  functions' own CPU / cores           ${f(cpuFloor)}   wall ${(wallMs / cpuFloor).toFixed(2)}× it`);
  console.log(
    `  reported Init+Duration / cores       ${f(reportedFloor)}   wall ${(wallMs / reportedFloor).toFixed(2)}× it`,
  );
  const cold = outcomes.filter((o) => o.cold);
  console.log(
    `  cold starts (others reused one)      ${cold.length} of ${outcomes.length} (${rounds.map((r) => r.outcomes.filter((o) => o.cold).length).join(', ')})`,
  );
  if (cold.length)
    console.log(`  cold start CPU p50 (function's own)  ${percentiles(cold.map((o) => o.cpuMs)).p50.toFixed(0)} ms`);
  console.log(
    `  errors                               ${errors.length}${errors.length ? ` ${JSON.stringify(kinds)}` : ''}`,
  );
  console.log(
    `  answer times during the bursts, p50 / p99 / max, health and floor every ${SAMPLE_MS} ms, GET every ${SAMPLE_MS * GET_EVERY} ms, from a process of its own (sampler, floor and client in sessions at autogroup nice ${autogroupNice}):`,
  );
  console.log(`    health                             ${answers(sampled.health)}`);
  console.log(`    floor: bare node:http server       ${answers(sampled.floor)}`);
  console.log(`    15-byte GetObject                  ${answers(sampled.get)}`);
  if (sampled.health.length && sampled.floor.length)
    console.log(
      `    health p99 / floor p99             ${(percentiles(sampled.health).p99 / percentiles(sampled.floor).p99).toFixed(2)}×`,
    );
  const failed = Object.entries(sampled.failures ?? {});
  if (failed.length) console.log(`    failed requests                    ${JSON.stringify(sampled.failures)}`);
  console.log(`    the sampler's own loop late p99    ${ms(sampled.ownLoopP99Ms)} ms`);
  const d = drifts.length ? percentiles(drifts) : undefined;
  console.log(
    `  2 s timeout fired late by p50 / max  ${d ? `${d.p50.toFixed(0)} / ${d.max.toFixed(0)} ms (${drifts.length} timeouts)` : 'no timeout fired during the bursts'}`,
  );
  if (loopWindows.length) {
    const p99s = percentiles(loopWindows.map((w) => w.p99));
    console.log(
      `  serve's event loop late, 10 s windows  p99 median ${p99s.p50} / worst ${p99s.max} ms, max ${Math.max(...loopWindows.map((w) => w.max))} ms (${loopWindows.length} windows, deploys between rounds included)`,
    );
  }
  const late = (q) => Math.max(0, (q === 'max' ? ownLoop.max : ownLoop.percentile(q)) / 1e6 - 10).toFixed(1);
  console.log(`  this client's event loop late by p50 / p99 / max  ${late(50)} / ${late(99)} / ${late('max')} ms`);
  const sched = (key) => {
    const total = rounds.reduce(
      (sum, r) => (r[key] && sum ? { runMs: sum.runMs + r[key].runMs, waitMs: sum.waitMs + r[key].waitMs } : undefined),
      { runMs: 0, waitMs: 0 },
    );
    return total
      ? `ran ${f(total.runMs)}, waited for a CPU ${f(total.waitMs)} (${((total.waitMs / wallMs) * 100).toFixed(0)}% of the bursts)`
      : 'n/a';
  };
  console.log(`  serve's event-loop thread             ${sched('serveLoop')}`);
  console.log(`  the floor's                           ${sched('floorLoop')}`);
  const done = percentiles(outcomes.map((o) => o.finished));
  console.log(`  invocation done after p50 / p99      ${f(done.p50)} / ${f(done.p99)}`);
}
