#!/usr/bin/env node
// Remote-target overhead (run after `npm run build`):
//   node bench/target/run.js [--size 200MB] [--objects 16] [--rounds 3]
// Starts a second `lambdata serve` (own data dir, port and keys) standing in for AWS, writes the same
// generated corpus to it and to a local engine, adds it as a target, and times the same wordcount job
// local and with --target, alternating, in the same run. The overhead of the remote path (coordinator
// → SDK → Lambda/S3 API, Tail-log parsing, packaging on first use) is (target − local) / target.
// Both servers share this machine's cores: the stand-in runs the mappers, the coordinator only plans and
// commits. Prints a summary on stderr and one JSON record on stdout.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { createEngine } = await import(join(root, 'dist/engine.js'));
const { startServer } = await import(join(root, 'dist/api/index.js'));
const { generateChunks } = await import(join(root, 'dist/jobs/index.js'));

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
const standin = await startStandin(join(work, 'standin'));
// The coordinator finds the target's credentials in the standard chain (here: the environment).
process.env.AWS_ACCESS_KEY_ID = KEYS.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = KEYS.secretAccessKey;
const engine = await createEngine({ dataDir: join(work, 'coordinator') });
const server = await startServer(engine, { port: 0 });
const load = [loadavg()[0]];
try {
  engine.objects.createBucket('bench');
  const remote = new S3Client({ region: 'us-east-1', endpoint: standin.url, forcePathStyle: true, credentials: KEYS });
  await remote.send(new CreateBucketCommand({ Bucket: 'bench' }));
  let written = 0;
  for (let i = 0; i < objectCount; i++) {
    const body = Buffer.concat([...generateChunks({ seed: 7 + i, bytes: Math.ceil(size / objectCount) })]);
    written += body.length;
    const key = `corpus/part-${String(i).padStart(4, '0')}.txt`;
    await engine.objects.putObject('bench', key, body);
    await remote.send(new PutObjectCommand({ Bucket: 'bench', Key: key, Body: body }));
  }
  console.error(`corpus: ${(written / MB).toFixed(0)} MB in ${objectCount} objects, on both servers`);
  engine.targets.add({
    name: 'standin',
    region: 'us-east-1',
    endpoint: standin.url,
    roleArn: 'arn:aws:iam::123456789012:role/bench',
  });

  const spec = { mapper: 'wordcount', input: { bucket: 'bench', prefix: 'corpus/' }, liveProgress: false };
  const timeJob = async (target) => {
    const t = Date.now();
    const job = await engine.jobs.wait(engine.jobs.submit({ ...spec, ...(target ? { target } : {}) }).id);
    if (job.status !== 'succeeded') throw new Error(`${target ?? 'local'} job ${job.status}: ${job.error?.message}`);
    return { ms: Date.now() - t, words: job.result.totals.words, cost: job.cost };
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
      `(${summary.targetMBps.toFixed(0)} MB/s); ratio ${summary.ratio.toFixed(2)}×, remote overhead ${(overhead * 100).toFixed(1)}% of job time ` +
      `(goal ≤ 25%) ; load ${summary.loadAverage.join(' ')}`,
  );
  console.log(JSON.stringify(summary));
} finally {
  await server.close();
  await engine.close();
  await standin.close();
  rmSync(work, { recursive: true, force: true });
}

async function startStandin(dir) {
  const child = spawn(
    process.execPath,
    [
      join(root, 'bin/lambdata.js'),
      'serve',
      '--port',
      '0',
      '--data-dir',
      dir,
      '--access-key',
      KEYS.accessKeyId,
      '--secret-key',
      KEYS.secretAccessKey,
    ],
    { env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'error' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m) resolve(m[1]);
    });
  });
  return {
    url,
    async close() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*(KB|MB|GB)?$/i.exec(text);
  if (!m) throw new Error(`bad size ${text}`);
  return Math.round(Number(m[1]) * { KB: 1024, MB: MB, GB: 1024 * MB }[(m[2] ?? 'MB').toUpperCase()]);
}
