// wordcount and wordfreq as users run them: `lambdata serve` in its own process, each job started by
// `lambdata run … --json` (process start included), over the same bytes cut into three corpus shapes,
// each beside `LC_ALL=C wc -w` on those bytes (a local file, page-cached) timed in the same run.
// Shapes for --size S (1 GB by default): 16 objects; ~110 objects; 64 KB objects holding a quarter
// of S plus one object holding the rest (at 1 GB: 4,000 × 64 KB + one ~700 MB object).
// Usage: npm run build && node bench/wordcount/cli.js [--size 1GB] [--quick] [--skip-wordfreq] [--shape 0|1|2]
//   [--runs N] [--profile DIR]   (--profile: serve runs with --cpu-prof and writes its profile into DIR)
// --runs N (2 by default, 1 with --quick): wc -w, wordcount and wordfreq each run N times per shape, in turn;
// each row reports every run's rate and the ratios of the best runs; the first run, which starts the moment
// the upload ends and finds fewer environments warm, is shown, not hidden.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startServe } from '../invoke/serve-process.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { generateChunks } = await import(join(root, 'dist/jobs/index.js'));
const execFileAsync = promisify(execFile);
const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '1GB' },
    quick: { type: 'boolean', default: false },
    'skip-wordfreq': { type: 'boolean', default: false },
    shape: { type: 'string' },
    profile: { type: 'string' },
    runs: { type: 'string' },
  },
});
const MB = 1024 * 1024;
const SIZE = values.quick ? 48 * MB : parseSize(values.size);
const SMALL = 64 * 1024;
const PUT_CONCURRENCY = 8;
const RUNS = Number(values.runs ?? (values.quick ? 1 : 2));

const work = mkdtempSync(join(tmpdir(), 'lambdata-bench-cli-'));
process.once('exit', () => rmSync(work, { recursive: true, force: true })); // also when interrupted
const serve = await startServe({
  nodeArgs: values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [],
});
const s3 = new S3Client({
  endpoint: serve.url,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const env = { PATH: process.env.PATH ?? '', HOME: work, LAMBDATA_ENDPOINT: serve.url };
const results = [];
try {
  const corpus = makeCorpus(SIZE);
  const file = join(work, 'corpus.txt');
  writeFileSync(file, corpus);
  await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
  // A fresh engine's first job deploys the built-in functions: timed once here, apart from the shapes.
  await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: 'warmup/one.txt', Body: 'one small object\n' }));
  for (const mapper of values['skip-wordfreq'] ? ['wordcount'] : ['wordcount', 'wordfreq']) {
    const first = await runJob(mapper, 's3://bench/warmup/');
    console.log(`first ${mapper} job on a fresh engine (deploys the built-ins): ${(first.ms / 1000).toFixed(2)} s`);
  }
  const shapes = [
    ['16 objects', cutEvenly(corpus, 16)],
    ['~110 objects', cutEvenly(corpus, 110)],
    ['64 KB objects + one big', cutSmallAndBig(corpus)],
  ];
  for (const [index, [label, pieces]] of shapes.entries()) {
    if (values.shape !== undefined && Number(values.shape) !== index) continue;
    await upload(`shape${index}/`, pieces);
    const describe = `${label} (${pieces.length} objects, ${(corpus.length / MB).toFixed(0)} MB)`;
    const runs = { wc: [], wordcount: [], wordfreq: [] };
    for (let run = 0; run < RUNS; run++) {
      const wc = await wcWords(file);
      runs.wc.push(wc);
      const count = await runJob('wordcount', `s3://bench/shape${index}/`);
      if (count.words !== wc.words) throw new Error(`${describe}: wordcount says ${count.words}, wc -w ${wc.words}`);
      runs.wordcount.push(count);
      if (!values['skip-wordfreq']) runs.wordfreq.push(await runJob('wordfreq', `s3://bench/shape${index}/`));
    }
    const fastest = (list) => list.reduce((best, r) => (r.ms < best.ms ? r : best));
    const count = fastest(runs.wordcount);
    const row = {
      shape: describe,
      wcMBps: mbps(fastest(runs.wc).ms),
      wordcountMBps: mbps(count.ms),
      jobMBps: mbps(count.jobMs),
      runsMBps: Object.fromEntries(Object.entries(runs).map(([name, list]) => [name, list.map((r) => mbps(r.ms))])),
    };
    if (runs.wordfreq.length > 0) row.wordfreqMBps = mbps(fastest(runs.wordfreq).ms);
    results.push(row);
    console.log(
      `${describe}: wc -w ${row.wcMBps.toFixed(0)} MB/s; wordcount ${row.wordcountMBps.toFixed(0)} MB/s ` +
        `= ${(row.wordcountMBps / row.wcMBps).toFixed(2)}× wc (the job alone, without the CLI's start and wait: ${row.jobMBps.toFixed(0)} MB/s)` +
        (row.wordfreqMBps
          ? `; wordfreq ${row.wordfreqMBps.toFixed(0)} MB/s = ${(row.wordfreqMBps / row.wcMBps).toFixed(2)}× wc`
          : '') +
        (RUNS > 1
          ? `\n    each run, MB/s: ${Object.entries(row.runsMBps)
              .filter(([, list]) => list.length > 0)
              .map(([name, list]) => `${name} ${list.map((n) => n.toFixed(0)).join(', ')}`)
              .join('; ')}`
          : ''),
    );
  }
  console.log(
    `load average ${loadavg()
      .map((n) => n.toFixed(1))
      .join(' ')} on this machine during the run`,
  );
} finally {
  s3.destroy();
  await serve.stop();
  rmSync(work, { recursive: true, force: true });
}

function mbps(ms) {
  return SIZE / MB / (ms / 1000);
}

/** SIZE bytes of generated text, ending at a line end. */
function makeCorpus(size) {
  const chunks = [];
  let bytes = 0;
  for (let seed = 7; bytes < size; seed++) {
    for (const chunk of generateChunks({ seed, bytes: Math.min(64 * MB, size - bytes) })) {
      chunks.push(chunk);
      bytes += chunk.length;
    }
  }
  const all = Buffer.concat(chunks).subarray(0, size);
  return all.subarray(0, all.lastIndexOf(10) + 1);
}

/** Cuts `corpus` into `count` pieces at line ends (so the pieces' word counts sum to the whole's). */
function cutEvenly(corpus, count) {
  const pieces = [];
  let at = 0;
  for (let i = 1; i <= count; i++) {
    const target = Math.floor((corpus.length * i) / count);
    const end = i === count ? corpus.length : corpus.lastIndexOf(10, target) + 1;
    if (end > at) pieces.push(corpus.subarray(at, end));
    at = Math.max(at, end);
  }
  return pieces;
}

/** 64 KB-ish pieces holding the first quarter of `corpus`, then the rest as one piece. */
function cutSmallAndBig(corpus) {
  const pieces = [];
  let at = 0;
  while (at < corpus.length / 4) {
    const end = corpus.lastIndexOf(10, at + SMALL) + 1;
    pieces.push(corpus.subarray(at, end));
    at = end;
  }
  pieces.push(corpus.subarray(at));
  return pieces;
}

async function upload(prefix, pieces) {
  let next = 0;
  const worker = async () => {
    while (next < pieces.length) {
      const i = next++;
      const body = pieces[i];
      const key = `${prefix}part-${String(i).padStart(5, '0')}.txt`;
      await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: key, Body: body, ContentLength: body.length }));
    }
  };
  await Promise.all(Array.from({ length: PUT_CONCURRENCY }, worker));
}

async function wcWords(file) {
  const started = performance.now();
  const { stdout } = await execFileAsync('wc', ['-w', file], { env: { LC_ALL: 'C', PATH: env.PATH } });
  return { words: Number(stdout.trim().split(/\s+/)[0]), ms: performance.now() - started };
}

async function runJob(mapper, input) {
  const started = performance.now();
  const { stdout } = await execFileAsync(
    process.execPath,
    [join(root, 'bin/lambdata.js'), 'run', mapper, input, '--json'],
    {
      env,
      maxBuffer: 64 * MB,
    },
  );
  const ms = performance.now() - started;
  const job = JSON.parse(stdout);
  if (job.status !== 'succeeded') throw new Error(`${mapper} job ${job.id} ended ${job.status}`);
  return { ms, jobMs: job.cost?.wallMs ?? ms, words: job.result?.totals?.words };
}

function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(text.trim());
  if (!m) throw new Error(`not a size: ${text}`);
  return Math.round(Number(m[1]) * { '': 1, k: 1024, m: MB, g: 1024 * MB }[m[2].toLowerCase()]);
}
