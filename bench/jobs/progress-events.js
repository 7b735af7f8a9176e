// What a job's per-object progress events cost its users, measured through `lambdata serve` in its own
// process: a wordcount job over --objects small objects (one `object.result` event each, as a view
// recompute over thousands of master objects has) beside the same bytes in --few objects (the floor),
// both run with `lambdata run … --json`. For each: the job's event rows and bytes in SQLite, the bytes
// and time of replaying its events over SSE (what the dashboard and `lambdata jobs follow` read), and
// the time headless Chromium takes to show the finished job page with one scatter point per object.
// Usage: npm run build && node bench/jobs/progress-events.js [--objects 5000] [--few 16] [--kb 2] [--rounds 3]
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { chromium } from 'playwright-core';
import { startServe } from '../invoke/serve-process.js';
import { here } from '../invoke/stats.js';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '5000' },
    few: { type: 'string', default: '16' },
    kb: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
  },
});
const MANY = Number(values.objects);
const FEW = Number(values.few);
const BYTES = MANY * Number(values.kb) * 1024;
const ROUNDS = Number(values.rounds);
const BIN = join(here, '../../bin/lambdata.js');
const run = promisify(execFile);

const serve = await startServe();
const s3 = new S3Client({
  endpoint: serve.url,
  forcePathStyle: true,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
const db = () => new Database(join(serve.dataDir, 'lambdata.db'), { readonly: true, fileMustExist: true });
try {
  await s3.send(new CreateBucketCommand({ Bucket: 'corpus' }));
  await upload('many/', MANY);
  await upload('few/', FEW);
  const rows = [];
  for (const [name, count] of [
    ['many', MANY],
    ['few', FEW],
  ]) {
    const { stdout } = await run(
      process.execPath,
      [BIN, '--endpoint', serve.url, 'run', 'wordcount', `s3://corpus/${name}/`, '--json'],
      { env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'silent' }, maxBuffer: 256 * 1024 * 1024 },
    );
    const job = JSON.parse(stdout);
    if (job.status !== 'succeeded') throw new Error(`job ${job.id} ${job.status}`);
    const conn = db();
    const stored = conn
      .prepare(
        "SELECT COUNT(*) AS n, SUM(LENGTH(event)) AS bytes, SUM(json_extract(event, '$.type') = 'object.result') AS results FROM job_events WHERE job_id = ?",
      )
      .get(job.id);
    conn.close();
    const sse = [];
    const page = [];
    let sseBytes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const began = performance.now();
      const text = await (await fetch(`${serve.url}/_lambdata/jobs/${job.id}/events`)).text();
      sse.push(performance.now() - began);
      sseBytes = Buffer.byteLength(text);
      page.push(await loadJobPage(job.id, count));
    }
    const row = {
      objects: count,
      events: stored.n,
      objectResults: stored.results,
      storedBytes: stored.bytes,
      sseBytes,
      sseMs: median(sse),
      pageMs: median(page),
    };
    rows.push(row);
    console.log(
      `${String(count).padStart(5)} objects: ${row.events} events (${row.objectResults} object.result), ` +
        `${(row.storedBytes / 1024).toFixed(0)} KB in SQLite; SSE replay ${(row.sseBytes / 1024).toFixed(0)} KB in ` +
        `${row.sseMs.toFixed(0)} ms; job page with its ${count} scatter points in ${row.pageMs.toFixed(0)} ms (median of ${ROUNDS})`,
    );
  }
  const [many, few] = rows;
  console.log(
    `ratio ${MANY} objects / ${FEW} objects (same ${(BYTES / 1024 / 1024).toFixed(1)} MB): events ${(many.events / few.events).toFixed(1)}×, ` +
      `SQLite bytes ${(many.storedBytes / few.storedBytes).toFixed(1)}×, SSE bytes ${(many.sseBytes / few.sseBytes).toFixed(1)}×, ` +
      `SSE time ${(many.sseMs / few.sseMs).toFixed(1)}×, page load ${(many.pageMs / few.pageMs).toFixed(1)}×`,
  );
  console.log(JSON.stringify({ bench: 'job-progress-events', bytes: BYTES, rows }));
} finally {
  await browser.close();
  s3.destroy();
  await serve.stop();
}

/** Uploads `count` objects holding BYTES in all under `prefix`, 16 at a time. */
async function upload(prefix, count) {
  const size = Math.floor(BYTES / count);
  const line = 'lorem ipsum dolor sit amet consectetur adipiscing elit\n';
  const body = line.repeat(Math.ceil(size / line.length)).slice(0, size);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++)
      await s3.send(
        new PutObjectCommand({ Bucket: 'corpus', Key: `${prefix}${String(i).padStart(6, '0')}.txt`, Body: body }),
      );
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/** Milliseconds from navigation to the finished job page showing one scatter point per object. */
async function loadJobPage(jobId, points) {
  const page = await browser.newPage();
  try {
    const began = performance.now();
    await page.goto(`${serve.url}/_lambdata/ui/#/jobs/${jobId}`);
    await page.waitForFunction(
      (n) =>
        document.querySelector('#job-status')?.textContent === 'succeeded' &&
        document.querySelectorAll('#scatter circle.point').length === n,
      points,
      { timeout: 120_000, polling: 20 },
    );
    return performance.now() - began;
  } finally {
    await page.close();
  }
}

function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}
