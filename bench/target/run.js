#!/usr/bin/env node
// Remote-target overhead, as users run it (after `npm run build`):
//   node bench/target/run.js [--size 200MB] [--objects 16] [--rounds 3]
// Two `lambdata serve` processes: the coordinator (the user's server) and a stand-in for AWS (own data
// dir, port and keys). The same generated corpus is written to both; the stand-in is added as a target
// with `lambdata targets add`; each job is started by `lambdata run wordcount s3://bench/corpus/ --json
// [--target standin]` (process start included), alternating local and target, after one warm-up run
// each (the target's deploys the built-ins there). The overhead of the remote path (coordinator → SDK →
// Lambda/S3 APIs, Tail-log parsing) is (target − local) / target. Both servers share this machine's cores:
// on the target the stand-in runs the mappers, the coordinator only plans and commits.
// Prints a summary on stderr and one JSON record on stdout.
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
    size: { type: 'string', default: '200MB' },
    objects: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
  },
});
const MB = 1024 * 1024;
const size = parseSize(values.size);
const objectCount = Number(values.objects);
const rounds = Number(values.rounds);
const KEYS = { accessKeyId: 'bench-standin', secretAccessKey: 'bench-standin-secret' };

const work = mkdtempSync(join(tmpdir(), 'lambdata-bench-target-'));
process.once('exit', () => rmSync(work, { recursive: true, force: true }));
// The coordinator finds the target's credentials in the standard chain: a shared credentials file's profile.
writeFileSync(
  join(work, 'credentials'),
  `[standin]\naws_access_key_id = ${KEYS.accessKeyId}\naws_secret_access_key = ${KEYS.secretAccessKey}\n`,
);
writeFileSync(join(work, 'config'), '');
const standin = await startServe({ args: ['--access-key', KEYS.accessKeyId, '--secret-key', KEYS.secretAccessKey] });
const coordinator = await startServe({
  env: { AWS_SHARED_CREDENTIALS_FILE: join(work, 'credentials'), AWS_CONFIG_FILE: join(work, 'config') },
});
const cliEnv = { PATH: process.env.PATH ?? '', HOME: work, LAMBDATA_ENDPOINT: coordinator.url };
const load = [loadavg()[0]];
try {
  const stores = [s3(coordinator.url, { accessKeyId: 'test', secretAccessKey: 'test' }), s3(standin.url, KEYS)];
  for (const store of stores) await store.send(new CreateBucketCommand({ Bucket: 'bench' }));
  let written = 0;
  for (let i = 0; i < objectCount; i++) {
    const body = Buffer.concat([...generateChunks({ seed: 7 + i, bytes: Math.ceil(size / objectCount) })]);
    written += body.length;
    const key = `corpus/part-${String(i).padStart(4, '0')}.txt`;
    for (const store of stores) await store.send(new PutObjectCommand({ Bucket: 'bench', Key: key, Body: body }));
  }
  for (const store of stores) store.destroy();
  console.error(`corpus: ${(written / MB).toFixed(0)} MB in ${objectCount} objects, on both servers`);
  await lambdata(
    'targets',
    'add',
    'standin',
    '--region',
    'us-east-1',
    '--profile',
    'standin',
    '--endpoint',
    standin.url,
    '--role-arn',
    'arn:aws:iam::123456789012:role/bench',
  );

  const timeJob = async (target) => {
    const t = performance.now();
    const job = JSON.parse(
      await lambdata(
        'run',
        'wordcount',
        's3://bench/corpus/',
        '--json',
        '--no-live-progress',
        ...(target ? ['--target', target] : []),
      ),
    );
    const ms = Math.round(performance.now() - t);
    if (job.status !== 'succeeded')
      throw new Error(`${target ?? 'local'} job ${job.id} ${job.status}: ${job.error?.message}`);
    return { ms, words: job.result.totals.words, cost: job.cost };
  };
  // First runs deploy and warm the built-ins on each side (the target's packaging and upload happen here).
  const firstTarget = await timeJob('standin');
  const firstLocal = await timeJob(undefined);
  console.error(`first runs (deploy + cold): target ${firstTarget.ms} ms, local ${firstLocal.ms} ms`);
  const local = [];
  const target = [];
  for (let r = 0; r < rounds; r++) {
    local.push(await timeJob(undefined));
    target.push(await timeJob('standin'));
    load.push(loadavg()[0]);
  }
  if (target.some((t) => t.words !== local[0].words)) throw new Error('word counts differ between local and target');
  // The median of the rounds (the machine is shared: single runs swing with its load).
  const median = (runs) => {
    const sorted = runs.map((r) => r.ms).sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const localMs = median(local);
  const targetMs = median(target);
  const overhead = (targetMs - localMs) / targetMs;
  const summary = {
    bytes: written,
    objects: objectCount,
    rounds,
    localMs: local.map((r) => r.ms),
    targetMs: target.map((r) => r.ms),
    firstTargetMs: firstTarget.ms,
    ratio: targetMs / localMs,
    overhead,
    localMBps: written / MB / (localMs / 1000),
    targetMBps: written / MB / (targetMs / 1000),
    targetInvocations: target[0].cost.invocations,
    targetBilledMs: target[0].cost.billedMs,
    targetLambdaUsd: target[0].cost.lambdaUsd,
    words: local[0].words,
    loadAverage: load.map((l) => Number(l.toFixed(2))),
  };
  console.error(
    `local wordcount: median ${localMs} ms (${summary.localMBps.toFixed(0)} MB/s); --target standin: median ${targetMs} ms ` +
      `(${summary.targetMBps.toFixed(0)} MB/s); ratio target/local ${summary.ratio.toFixed(2)}×, remote overhead ` +
      `${(overhead * 100).toFixed(1)}% of job time (goal ≤ 25%); load ${summary.loadAverage.join(' ')}`,
  );
  console.log(JSON.stringify(summary));
} finally {
  await coordinator.stop();
  await standin.stop();
  rmSync(work, { recursive: true, force: true });
}

/** Runs the `lambdata` CLI against the coordinator; answers its stdout. */
async function lambdata(...args) {
  const { stdout } = await execFileAsync(process.execPath, [join(root, 'bin/lambdata.js'), ...args], {
    env: cliEnv,
    maxBuffer: 64 * MB,
  });
  return stdout;
}

function s3(endpoint, credentials) {
  return new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
}

function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*(KB|MB|GB)?$/i.exec(text);
  if (!m) throw new Error(`bad size ${text}`);
  return Math.round(Number(m[1]) * { KB: 1024, MB: MB, GB: 1024 * MB }[(m[2] ?? 'MB').toUpperCase()]);
}
