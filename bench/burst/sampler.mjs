// Times GETs of some URLs every SAMPLE_MS from a process of its own, so the answer times measure the
// servers and the machine, not the event loop of the benchmark process that drives the burst (its
// hundreds of SDK calls delay its own timers and reads by as much as the servers take to answer).
// Usage: node sampler.mjs '{"health":"http://…/_lambdata/health","floor":"http://…/health"}' [sampleMs]
// Samples until a line arrives on stdin, then prints one JSON line: { name: [ms, …], …, ownLoopP99Ms }.
import { Agent, get } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';

const targets = JSON.parse(process.argv[2] ?? '{}');
const SAMPLE_MS = Number(process.argv[3] ?? 50);
const agent = new Agent({ keepAlive: true });
const samples = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
let sampling = true;

const once = (url) =>
  new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`${url} answered ${res.statusCode}`)),
      );
    }).on('error', reject);
  });

const loop = async (name, url) => {
  while (sampling) {
    const started = performance.now();
    await once(url);
    samples[name].push(performance.now() - started);
    await new Promise((done) => setTimeout(done, Math.max(0, SAMPLE_MS - (performance.now() - started))));
  }
};

const ownLoop = monitorEventLoopDelay({ resolution: 10 });
ownLoop.enable();
const loops = Object.entries(targets).map(([name, url]) => loop(name, url));
createInterface({ input: process.stdin }).once('line', async () => {
  sampling = false;
  await Promise.all(loops);
  ownLoop.disable();
  agent.destroy();
  console.log(JSON.stringify({ ...samples, ownLoopP99Ms: Math.max(0, ownLoop.percentile(99) / 1e6 - 10) }));
  process.exit(0);
});
