// The batch recompute alone, timed N times over one master dataset, each run beside the floor of
// bench/views/run.js step 4 (a single-core JSON.parse-per-line loop over the same bytes) measured
// in the same invocation. The dataset is built once through Kinesis into --data-dir and kept there
// (with the parameters that regenerate its bytes), so later invocations go straight to the timing.
// Each invocation creates a fresh view on that dataset, so a changed mapper is the one measured.
// Usage: npm run build && node --max-old-space-size=8192 bench/views/recompute.js \
//          --data-dir DIR [--mb 1000] [--compression none|gzip] [--runs 3] [--view NAME] [--cpu-prof DIR] [--timeline]
//        (--compression: how a dataset built by this invocation stores its master objects; default the
//         engine's, gzip)
//        (--cpu-prof: serve writes a V8 CPU profile of its own process into DIR when it stops;
//         --timeline: each run's job events and invocations, in ms from the recompute's POST)
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateStreamCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { jsonParseFloorOfLines, native, putAllLines, startServe, tweets, until } from './lib.js';
import { followViews, printTimeline } from './timeline.js';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    mb: { type: 'string', default: '1000' },
    compression: { type: 'string' },
    runs: { type: 'string', default: '3' },
    'cpu-prof': { type: 'string' },
    view: { type: 'string' },
    timeline: { type: 'boolean', default: false },
  },
});
if (!values['data-dir']) throw new Error('--data-dir DIR is required (the dataset is kept there)');
const dataDir = values['data-dir'];
const RUNS = Number(values.runs);
const HOUR = 3_600_000;
const MARK = 'benchmarkword';
const DATASET = 'bench-master';
const built = join(dataDir, 'bench-recompute.json');

mkdirSync(dataDir, { recursive: true });
const shape = existsSync(built)
  ? JSON.parse(readFileSync(built, 'utf8'))
  : { mb: Number(values.mb), end: Math.floor(Date.now() / HOUR) * HOUR - 1 };
const lines = linesOf(shape);
const bytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 1, 0);

const nodeArgs = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [];
const serve = await startServe(dataDir, {}, nodeArgs);
// A new view deploys the mapper as built now, but first folds the whole dataset into its speed
// layer (minutes on a busy machine): --view NAME reuses a view an earlier invocation created.
const view = values.view ?? `bench-words-${Date.now()}`;
const rows = [];
const phases = await followViews(serve.url);
try {
  if (!existsSync(built)) {
    const started = performance.now();
    await ingest(serve.url, lines);
    writeFileSync(built, JSON.stringify(shape));
    console.log(
      `built ${(bytes / 1e6).toFixed(0)} MB (${lines.length} events) in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  }
  const views = (await native(serve.url, 'GET', '/views')).views.map((v) => v.name);
  if (!views.includes(view))
    await native(serve.url, 'POST', '/views', { name: view, dataset: DATASET, view: 'word-count-hourly' });
  const dataset = await native(serve.url, 'GET', `/datasets/${DATASET}`);
  // A dataset created before the setting existed has none in its configuration: it writes gzip.
  console.log(
    `view ${view}, dataset of ${dataset.objects} objects, ${(dataset.bytes / 1e6).toFixed(0)} MB stored (${dataset.compression ?? 'gzip'})`,
  );
  for (let run = 1; run <= RUNS; run++) {
    const floorCpu = process.cpuUsage();
    const floorMbs = jsonParseFloorOfLines(lines);
    const floorCpuS = cpuSecondsSince(floorCpu);
    const cpuBefore = treeCpuSeconds(serve.pid);
    const { seconds, timeline } = await timeRecompute(serve.url, view, phases);
    const cpuAfter = treeCpuSeconds(serve.pid);
    if (values.timeline) await printTimeline(serve.url, timeline);
    const cpuS = cpuAfter.all - cpuBefore.all;
    const serveCpuS = cpuAfter.serve - cpuBefore.serve;
    const check = await native(serve.url, 'GET', `/views/${view}/query?key=${MARK}`);
    if (check.batch.value !== lines.length)
      throw new Error(`batch counted ${check.batch.value} of ${lines.length} ${MARK}`);
    const mbs = bytes / 1e6 / seconds;
    // Per CPU-second: what the two figures come to when the cores are shared with others' work
    // (the floor's own loop runs on one core; the recompute's is serve's and its environments').
    const floorMbPerCpuS = bytes / 1e6 / floorCpuS;
    const mbPerCpuS = bytes / 1e6 / cpuS;
    rows.push({ run, seconds, mbs, floorMbs, ratio: mbs / floorMbs, cpuS, serveCpuS, mbPerCpuS, floorMbPerCpuS });
    console.log(
      `recompute ${run}/${RUNS}  ${(bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(2)} s = ${mbs.toFixed(1)} MB/s   floor JSON.parse per line, 1 core ${floorMbs.toFixed(1)} MB/s   ratio ${(mbs / floorMbs).toFixed(2)}× (goal ≥ 1.5×)`,
    );
    console.log(
      `              CPU: recompute ${cpuS.toFixed(2)} s (serve and its environments; serve alone ${serveCpuS.toFixed(2)} s) = ${mbPerCpuS.toFixed(1)} MB per CPU-s   floor ${floorMbPerCpuS.toFixed(1)} MB per CPU-s`,
    );
  }
} finally {
  await phases.close();
  await serve.stop();
}
console.log(JSON.stringify({ mb: bytes / 1e6, events: lines.length, runs: rows }));

/** The dataset's lines, regenerated from its parameters (the tweet source is deterministic). */
function linesOf({ mb, end }) {
  const sample = JSON.stringify([...tweets(1, { extraWord: MARK })][0]);
  const total = Math.ceil((mb * 1e6) / (Buffer.byteLength(sample) + 1));
  const out = [];
  for (const tweet of tweets(total, { end, spanMs: 10 * HOUR, extraWord: MARK })) out.push(JSON.stringify(tweet));
  return out;
}

/** Creates the stream and dataset, puts every line, and waits until the archive holds them all. */
async function ingest(url, lines) {
  const kinesis = new KinesisClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'bench', ShardCount: 2 }));
    const compression = values.compression ? { compression: values.compression } : {};
    await native(url, 'POST', '/datasets', { name: DATASET, stream: 'bench', ...compression });
    await putAllLines(kinesis, 'bench', lines, 4);
    // Events of this hour on every shard: the archive is complete (the horizon may pass the
    // dataset's last hour) only up to the oldest of the shards' latest event times.
    const now = Array.from({ length: 20 }, (_, i) => ({
      PartitionKey: `now${i}`,
      Data: Buffer.from(
        JSON.stringify({ id: `now${i}`, user: `now${i}`, text: 'now', created_at: new Date().toISOString() }),
      ),
    }));
    await kinesis.send(new PutRecordsCommand({ StreamName: 'bench', Records: now }));
  } finally {
    kinesis.destroy();
  }
  await until(async () => (await native(url, 'GET', `/datasets/${DATASET}`)).events >= lines.length + 20, {
    timeoutMs: 60 * 60_000,
    everyMs: 500,
    what: 'the archive',
  });
}

/** User + system CPU seconds of this process since `start` (a process.cpuUsage()). */
function cpuSecondsSince(start) {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1e6;
}

/**
 * CPU seconds of process `root` and its descendants (`all`) and of `root` alone (`serve`), living (utime + stime) and reaped (cutime +
 * cstime), from /proc (Linux): serve, its launcher and the environments it started.
 */
function treeCpuSeconds(root) {
  const stats = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      stats.set(Number(name), { ppid: Number(fields[1]), ticks });
    } catch {
      // The process ended between the listing and the read.
    }
  }
  let ticks = 0;
  const own = stats.get(root)?.ticks ?? 0;
  const inTree = (pid) => {
    for (let p = pid; p > 1; p = stats.get(p)?.ppid ?? 0) if (p === root) return true;
    return false;
  };
  for (const [pid, stat] of stats) if (inTree(pid)) ticks += stat.ticks;
  return { all: ticks / 100, serve: own / 100 };
}

/**
 * Starts a full recompute of `name` and waits for its swap, seen on the views SSE stream `phases` (so
 * the time has no polling step in it); answers the seconds it took and what its timeline needs.
 */
async function timeRecompute(url, name, phases) {
  const mine = (event) => event.name === 'recompute' && event.data.view === name;
  const seen = [];
  const ended = phases.next((event) => {
    if (mine(event)) seen.push(event);
    return mine(event) && event.data.phase !== 'started';
  });
  const t0 = Date.now();
  const start = performance.now();
  const { jobId } = await native(url, 'POST', `/views/${name}/recompute`, { incremental: false });
  const end = await ended;
  const seconds = (performance.now() - start) / 1000;
  if (end.data.phase !== 'swapped') throw new Error(`recompute failed: ${end.data.error}`);
  return { seconds, timeline: { jobId, t0, end: end.at, phases: seen } };
}
