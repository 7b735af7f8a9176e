// Times requests to some servers from a process of its own, so the answer times measure the servers
// and the machine, not the event loop of the benchmark process that drives the burst (its hundreds of
// SDK calls delay its own timers and reads by as much as the servers take to answer).
// Open loop: a request to each target starts every SAMPLE_MS whether or not the last one answered, so
// a server that stalls for 200 ms shows as every request it kept waiting (~20 samples of 10–200 ms),
// not as one slow sample in place of the twenty that were never sent.
// Usage: node sampler.mjs TARGETS, TARGETS a JSON object of { name: { everyMs, url } } (a GET of url) or
// { name: { everyMs, endpoint, bucket, key } } (an S3 GetObject signed by @aws-sdk/client-s3). Samples
// while sampling is on: a line "start" turns it on, "pause" off (requests in flight still count, and
// "paused" is printed once they answered); after "stop" it prints one JSON line:
// { name: [ms, …], …, failures: { name: count }, ownLoopP99Ms } and exits.
import { Agent, get } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const targets = JSON.parse(process.argv[2] ?? '{}');
const agent = new Agent({ keepAlive: true });
const samples = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
/** Requests that failed (a refused connection, an error status), by target: reported, never timed. */
const failures = {};
const inFlight = new Set();
const clients = [];

const getUrl = (url) =>
  new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`${url} answered ${res.statusCode}`)),
      );
    }).on('error', reject);
  });

const getObject = ({ endpoint, bucket, key }) => {
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    forcePathStyle: true,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: agent }),
  });
  clients.push(s3);
  return async () => {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    await out.Body.transformToString();
  };
};

const requests = Object.entries(targets).map(([name, target]) => {
  const once = target.url ? () => getUrl(target.url) : getObject(target);
  const send = () => {
    const started = performance.now();
    const request = once().then(
      () => samples[name].push(performance.now() - started),
      () => {
        failures[name] = (failures[name] ?? 0) + 1;
      },
    );
    inFlight.add(request);
    request.finally(() => inFlight.delete(request));
  };
  return { send, everyMs: target.everyMs };
});

let tickers;
const ownLoop = monitorEventLoopDelay({ resolution: 10 });
createInterface({ input: process.stdin }).on('line', async (line) => {
  const command = line.trim();
  if (command === 'start' && !tickers) {
    ownLoop.enable();
    tickers = requests.map(({ send, everyMs }) => setInterval(send, everyMs));
  } else if (command === 'pause' || command === 'stop') {
    for (const ticker of tickers ?? []) clearInterval(ticker);
    tickers = undefined;
    await Promise.all(inFlight);
    if (command === 'pause') return console.log('paused');
    ownLoop.disable();
    for (const client of clients) client.destroy();
    agent.destroy();
    console.log(JSON.stringify({ ...samples, failures, ownLoopP99Ms: Math.max(0, ownLoop.percentile(99) / 1e6 - 10) }));
    process.exit(0);
  }
});
console.log('ready');
