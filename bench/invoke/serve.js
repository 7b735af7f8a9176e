// Invocation as users run it: `lambdata serve` in its own process, driven over HTTP from this one,
// beside a bare node:http server in its own process (the floor) measured in the same run.
//  - SDK warm no-op Invoke (@aws-sdk/client-lambda) p50/p99, serve and floor alternated in rounds;
//  - a second floor, relay-server.mjs: a bare server that hands each request to a child process over a
//    framed socket and answers when it does (one hop more, as any server that runs functions apart must);
//  - no-op throughput through the native invoke path (POST /_lambdata/functions/:name/invoke over
//    keep-alive connections) at concurrency 1..64, with the CPU the serve process tree spent per call.
// Usage: npm run build && node bench/invoke/serve.js [--quick] [--profile DIR]
//   --profile DIR: run serve with --cpu-prof, writing its CPU profile into DIR when it stops.
//   --concurrency N: only that throughput row (no SDK latency rounds); --seconds S: measure each row S s.
//   --no-raise: serve's event loop stays at its starting niceness (LAMBDATA_RAISE_PRIORITY=0), for an A/B run.
//   --latency: only the SDK latency rounds (no throughput rows); --rounds N: that many rounds (default 3).
// Each throughput row prints serve's CPU per call (all its threads, and its event loop alone, with how
// often per call the loop was preempted: an environment it woke taking its CPU, say) and the
// client's own CPU per call: on a 2-core machine a rate R needs client + serve + environment CPU per
// call below 2 s / R, which bounds what any server can reach.

import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';
import {
  mainThreadCpuMicros,
  mainThreadPreemptions,
  processCpuMicros,
  startBareServer,
  startServe,
  treeCpuMicros,
} from './serve-process.js';
import { compare, here, percentiles, timeSequential } from './stats.js';

const quick = process.argv.includes('--quick');
const profileAt = process.argv.indexOf('--profile');
const profileDir = profileAt > 0 ? process.argv[profileAt + 1] : undefined;
const roundsAt = process.argv.indexOf('--rounds');
const ROUNDS = roundsAt > 0 ? Number(process.argv[roundsAt + 1]) : quick ? 1 : 3;
const latencyOnly = process.argv.includes('--latency');
const SDK_RUNS = quick ? 300 : 2000;
const secondsAt = process.argv.indexOf('--seconds');
/** `--seconds S`: measure each throughput row for S seconds (a longer steady state for a profile). */
const THROUGHPUT_MS = secondsAt > 0 ? Number(process.argv[secondsAt + 1]) * 1000 : quick ? 300 : 1500;
const SETTLE_MS = quick ? 100 : 300;
const onlyAt = process.argv.indexOf('--concurrency');
/** `--concurrency N`: only that throughput row, no latency rounds (for profiling). */
const CONCURRENCIES = onlyAt > 0 ? [Number(process.argv[onlyAt + 1])] : [1, 2, 4, 8, 16, 32, 64];
const ZIP = Buffer.from(zipSync({ 'index.mjs': readFileSync(join(here, 'noop/index.mjs')) }));
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

const floor = await startBareServer();
const relay = await startBareServer(join(here, 'relay-server.mjs'));
const serve = await startServe({
  nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  env: process.argv.includes('--no-raise') ? { LAMBDATA_RAISE_PRIORITY: '0' } : {},
});
const clients = [];
const lambdaClient = (endpoint) => {
  const client = new LambdaClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  clients.push(client);
  return client;
};
try {
  const lambda = lambdaClient(serve.url);
  const floorLambda = lambdaClient(floor.url);
  const relayLambda = lambdaClient(relay.url);
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'noop',
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::000000000000:role/lambda',
      Handler: 'index.handler',
      Code: { ZipFile: ZIP },
    }),
  );
  if (onlyAt < 0) await sdkLatency({ serve: lambda, floor: floorLambda, relay: relayLambda });
  if (latencyOnly) CONCURRENCIES.length = 0;

  if (CONCURRENCIES.length)
    console.log('\nno-op throughput through the native invoke path (POST /_lambdata/functions/noop/invoke):');
  for (const concurrency of CONCURRENCIES) {
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const post = (base) => () => nativeInvoke(agent, base, 'noop');
    // Start as many environments as callers (each cold start is a process start), then let the pool settle.
    await Promise.all(Array.from({ length: concurrency }, post(serve.url)));
    await throughput(post(serve.url), concurrency, SETTLE_MS);
    await throughput(post(floor.url), concurrency, SETTLE_MS);
    await throughput(post(relay.url), concurrency, SETTLE_MS);
    const relayBefore = treeCpuMicros(relay.pid);
    const relayed = await throughput(post(relay.url), concurrency, THROUGHPUT_MS);
    const relayUs = (treeCpuMicros(relay.pid) - relayBefore) / relayed.done;
    const floorBefore = processCpuMicros(floor.pid);
    const clientBeforeBare = clientCpuMicros();
    const bare = await throughput(post(floor.url), concurrency, THROUGHPUT_MS);
    const floorUs = (processCpuMicros(floor.pid) - floorBefore) / bare.done;
    const clientBareUs = (clientCpuMicros() - clientBeforeBare) / bare.done;
    const before = serveCpu(serve.pid);
    const clientBefore = clientCpuMicros();
    const through = await throughput(post(serve.url), concurrency, THROUGHPUT_MS);
    const after = serveCpu(serve.pid);
    const clientUs = (clientCpuMicros() - clientBefore) / through.done;
    const { environments } = await getJson(`${serve.url}/_lambdata/runtime`);
    const serverUs = (after.server - before.server) / through.done;
    const loopUs = (after.loop - before.loop) / through.done;
    const environmentsUs = (after.tree - after.server - (before.tree - before.server)) / through.done;
    const preempted = (after.preempted - before.preempted) / through.done;
    agent.destroy();
    console.log(
      `  concurrency ${String(concurrency).padStart(2)}: ${fmt(through.perSecond)}/s` +
        `   bare server ${fmt(bare.perSecond)}/s   ratio ${(through.perSecond / bare.perSecond).toFixed(2)}x` +
        `   CPU/call: server ${serverUs.toFixed(0)} µs (event loop ${loopUs.toFixed(0)}, preempted ${preempted.toFixed(2)}×), environments ${environmentsUs.toFixed(0)} µs,` +
        ` bare server ${floorUs.toFixed(0)} µs; this client ${clientUs.toFixed(0)} µs (${clientBareUs.toFixed(0)} µs` +
        ` against the bare server); environments afterwards ${environments}` +
        `\n                    relay floor ${fmt(relayed.perSecond)}/s   serve ÷ relay ${(through.perSecond / relayed.perSecond).toFixed(2)}x` +
        `   relay CPU/call (server + child) ${relayUs.toFixed(0)} µs`,
    );
  }
} finally {
  for (const client of clients) client.destroy();
  await serve.stop();
  await floor.stop();
  await relay.stop();
}

async function sdkLatency(clientsBySide) {
  const invoke = (client) => () => client.send(new InvokeCommand({ FunctionName: 'noop', Payload: Buffer.from('{}') }));
  const sides = ['floor', 'relay', 'serve'];
  const sdk = Object.fromEntries(sides.map((side) => [side, { p50: [], p99: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const measured = await timeSequential(invoke(clientsBySide[side]), SDK_RUNS);
      sdk[side].p50.push(measured.p50);
      sdk[side].p99.push(measured.p99);
    }
  }
  const median = (values) => percentiles(values).p50;
  console.log(
    `SDK warm no-op Invoke, lambdata serve vs a bare node:http server and the relay floor (all own processes), ${ROUNDS} rounds:`,
  );
  compare('SDK Invoke p50 (ms)', median(sdk.serve.p50), median(sdk.floor.p50), 'SDK vs bare server');
  compare('SDK Invoke p99 (ms)', median(sdk.serve.p99), median(sdk.floor.p99), 'SDK vs bare server');
  compare('relay floor p50 (ms)', median(sdk.relay.p50), median(sdk.floor.p50), 'SDK vs bare server');
  compare('relay floor p99 (ms)', median(sdk.relay.p99), median(sdk.floor.p99), 'SDK vs bare server');
}

async function getJson(url) {
  const res = await fetch(url);
  return res.json();
}

/** CPU this benchmark process spent (the HTTP client shares the machine's cores with serve). */
function clientCpuMicros() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

function serveCpu(pid) {
  return {
    server: processCpuMicros(pid),
    loop: mainThreadCpuMicros(pid),
    tree: treeCpuMicros(pid),
    preempted: mainThreadPreemptions(pid),
  };
}

function nativeInvoke(agent, base, name) {
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}/_lambdata/functions/${name}/invoke`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': 2 } },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode} ${Buffer.concat(chunks)}`)),
        );
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

async function throughput(once, concurrency, ms) {
  let done = 0;
  const deadline = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < deadline) {
      await once();
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { done, perSecond: done / ((performance.now() - started) / 1000) };
}

function fmt(n) {
  return Math.round(n).toLocaleString('en-US').padStart(7);
}
