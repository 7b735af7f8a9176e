// Serve's own latency per warm Invoke at concurrency 1, without the SDK client's share: one Invoke,
// signed once by @smithy/signature-v4 as the SDK signs it, is replayed over a raw keep-alive socket
// (SigV4 has no nonce: a signature stays valid for 15 minutes). The SDK client spends ~0.45 ms per
// call of its own, which every side of serve.js's SDK rows carries; here the floors are ~0.05 ms
// (bare server) and ~0.15 ms (relay), so what serve adds per call stands out.
// Sides are alternated in blocks of 50 calls, so a machine others are loading slows all of them
// alike; besides each side's p50/p99, the median over blocks of (serve block p50 - relay block p50)
// is printed: the most stable figure of the lot on a shared machine.
// Usage: npm run build && node bench/invoke/signed-replay.js [--quick] [--calls N]
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SignatureV4 } from '@smithy/signature-v4';
import { zipSync } from 'fflate';
import { NodeSha256 } from '../../dist/shared/node-sha256.js';
import { startBareServer, startServe } from './serve-process.js';
import { here, percentiles } from './stats.js';

const quick = process.argv.includes('--quick');
const callsAt = process.argv.indexOf('--calls');
const CALLS = callsAt > 0 ? Number(process.argv[callsAt + 1]) : quick ? 1000 : 20_000;
const BLOCK = 50;
const WARM_UP = quick ? 100 : 500;
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const BODY = '{}';

const floor = await startBareServer();
const relay = await startBareServer(join(here, 'relay-server.mjs'));
const serve = await startServe();
const sides = [];
try {
  const lambda = new LambdaClient({ endpoint: serve.url, region: 'us-east-1', credentials: CREDENTIALS });
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'noop',
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::000000000000:role/lambda',
      Handler: 'index.handler',
      Code: { ZipFile: Buffer.from(zipSync({ 'index.mjs': readFileSync(join(here, 'noop/index.mjs')) })) },
    }),
  );
  lambda.destroy();
  for (const [name, url] of [
    ['bare server', floor.url],
    ['relay floor', relay.url],
    ['lambdata serve', serve.url],
  ]) {
    sides.push({ name, times: [], ...(await replayer(url)) });
  }
  for (const side of sides) for (let i = 0; i < WARM_UP; i++) await side.call();
  for (let block = 0; block * BLOCK < CALLS; block++) {
    const order = block % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      for (let i = 0; i < BLOCK; i++) {
        const started = performance.now();
        await side.call();
        side.times.push(performance.now() - started);
      }
    }
  }
  const [bare, relayed, served] = sides.map((side) => ({ ...side, ...percentiles(side.times) }));
  console.log(
    `One signed Invoke replayed over a raw socket, concurrency 1, ${CALLS} calls per side in blocks of ${BLOCK}:`,
  );
  for (const side of [bare, relayed, served]) {
    console.log(
      `  ${side.name.padEnd(15)} p50 ${ms(side.p50)}   p99 ${ms(side.p99)}` +
        `   ratio to the bare server ${(side.p50 / bare.p50).toFixed(2)}x / ${(side.p99 / bare.p99).toFixed(2)}x`,
    );
  }
  console.log(
    `  serve - relay floor, median over blocks of their block p50s: ${(1000 * blockDifference(served.times, relayed.times)).toFixed(0)} µs`,
  );
} finally {
  for (const side of sides) side.close();
  await serve.stop();
  await floor.stop();
  await relay.stop();
}

/** A keep-alive socket to `url` that sends the same signed Invoke on each `call()`, resolving on its answer. */
async function replayer(url) {
  const { hostname, port } = new URL(url);
  const signer = new SignatureV4({
    service: 'lambda',
    region: 'us-east-1',
    sha256: NodeSha256,
    credentials: CREDENTIALS,
  });
  const path = '/2015-03-31/functions/noop/invocations';
  // The headers @aws-sdk/client-lambda sends with an Invoke.
  const signed = await signer.sign({
    method: 'POST',
    protocol: 'http:',
    hostname,
    port: Number(port),
    path,
    query: {},
    headers: {
      host: `${hostname}:${port}`,
      'content-type': 'application/octet-stream',
      'content-length': String(BODY.length),
      'x-amz-content-sha256': createHash('sha256').update(BODY).digest('hex'),
      'amz-sdk-invocation-id': '0f2c3a54-6d4e-4c62-9a3e-1b7c2d9e8f10',
      'amz-sdk-request': 'attempt=1; max=3',
      'x-amz-user-agent': 'aws-sdk-js/3',
      'user-agent': 'aws-sdk-js/3 ua/2.1 os/linux lang/js md/nodejs#20 api/lambda#3',
    },
    body: BODY,
  });
  const head = Object.entries(signed.headers).map(([name, value]) => `${name}: ${value}\r\n`);
  const request = Buffer.from(`POST ${path} HTTP/1.1\r\n${head.join('')}connection: keep-alive\r\n\r\n${BODY}`);
  const socket = connect(Number(port), hostname);
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let pending = Buffer.alloc(0);
  let answered;
  let failed;
  socket.on('error', (err) => failed?.(err));
  socket.on('data', (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    const end = pending.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = pending.subarray(0, end).toString('latin1');
    const total = end + 4 + Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (pending.length < total) return;
    pending = pending.subarray(total);
    if (head.startsWith('HTTP/1.1 200')) answered();
    else failed(new Error(`${url} answered ${head.split('\r\n')[0]}`));
  });
  return {
    call: () =>
      new Promise((resolve, reject) => {
        answered = resolve;
        failed = reject;
        socket.write(request);
      }),
    close: () => socket.destroy(),
  };
}

/** Median over blocks of (block p50 of `a` - block p50 of `b`), in ms. */
function blockDifference(a, b) {
  const differences = [];
  for (let at = 0; at < a.length; at += BLOCK) {
    differences.push(percentiles(a.slice(at, at + BLOCK)).p50 - percentiles(b.slice(at, at + BLOCK)).p50);
  }
  return percentiles(differences).p50;
}

function ms(value) {
  return `${value.toFixed(3)} ms`;
}
