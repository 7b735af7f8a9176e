// S3 GetObject of one large object through @aws-sdk/client-s3 from `lambdata serve` in its own
// process, beside the bare loopback HTTP ceiling measured in the same run: a bare node:http server
// (own process) writing the same number of bytes from memory, read by curl and by node:http.
// Usage: npm run build && node bench/objects/get-serve.js [--mb 512] [--rounds 3]
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { createInterface } from 'node:readline';
import { parseArgs, promisify } from 'node:util';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startServe } from '../invoke/serve-process.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '512' },
    rounds: { type: 'string', default: '3' },
    quick: { type: 'boolean' },
  },
});
const SIZE = Number(values.quick ? 64 : values.mb) * 1024 * 1024;
const ROUNDS = values.quick ? 1 : Number(values.rounds);
const CHUNK = 1024 * 1024;
const execFileAsync = promisify(execFile);
// The ceiling server: answers any GET with SIZE bytes written from one buffer in memory.
const CEILING = `
const { createServer } = require('node:http');
const size = ${SIZE}, chunk = Buffer.alloc(${CHUNK}, 97);
const server = createServer(async (req, res) => {
  req.resume();
  res.writeHead(200, { 'content-length': size });
  for (let at = 0; at < size; at += chunk.length)
    if (!res.write(chunk.subarray(0, Math.min(chunk.length, size - at)))) await new Promise((r) => res.once('drain', r));
  res.end();
});
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => process.exit(0));`;

const serve = await startServe();
const ceiling = spawn(process.execPath, ['-e', CEILING], { stdio: ['ignore', 'pipe', 'inherit'] });
const ceilingUrl = await new Promise((resolve) =>
  createInterface({ input: ceiling.stdout }).on('line', (line) => resolve(line.split(' ').pop())),
);
const s3 = new S3Client({
  endpoint: serve.url,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const rows = { sdk: [], curlServe: [], curlCeiling: [], nodeCeiling: [], sdkCeiling: [] };
// The same SDK call against the ceiling server (it answers any GET with the bytes).
const ceilingS3 = new S3Client({
  endpoint: ceilingUrl,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
try {
  await s3.send(new CreateBucketCommand({ Bucket: 'bench' }));
  const body = randomBytes(SIZE);
  await s3.send(new PutObjectCommand({ Bucket: 'bench', Key: 'big', Body: body, ContentLength: SIZE }));
  const objectUrl = `${serve.url}/_lambdata/buckets/bench/objects/big`;
  for (let round = 0; round < ROUNDS; round++) {
    rows.curlCeiling.push(await timed(() => execFileAsync('curl', ['-sf', '-o', '/dev/null', ceilingUrl])));
    rows.nodeCeiling.push(await timed(() => nodeGet(ceilingUrl)));
    rows.sdkCeiling.push(await timed(() => sdkGet(ceilingS3)));
    rows.sdk.push(await timed(() => sdkGet(s3)));
    rows.curlServe.push(await timed(() => execFileAsync('curl', ['-sf', '-o', '/dev/null', objectUrl])));
  }
  const best = (list) => Math.min(...list);
  const mbps = (ms) => SIZE / 1024 / 1024 / (ms / 1000);
  const ceilingMs = best(rows.curlCeiling);
  console.log(
    `GetObject of ${SIZE / 1024 / 1024} MB, best of ${ROUNDS} (lambdata serve and the ceiling server in their own processes):`,
  );
  for (const [label, list] of [
    ['loopback HTTP ceiling (memory → curl)', rows.curlCeiling],
    ['loopback HTTP ceiling (memory → node:http)', rows.nodeCeiling],
    ['loopback HTTP ceiling (memory → SDK GetObject)', rows.sdkCeiling],
    ['lambdata S3 GetObject, @aws-sdk/client-s3', rows.sdk],
    ['lambdata native API GET, curl', rows.curlServe],
  ]) {
    const ms = best(list);
    console.log(
      `  ${label.padEnd(47)} ${mbps(ms).toFixed(0).padStart(6)} MB/s   ${((100 * ceilingMs) / ms).toFixed(0).padStart(3)}% of the ceiling`,
    );
  }
} finally {
  s3.destroy();
  ceilingS3.destroy();
  ceiling.kill('SIGTERM');
  await serve.stop();
}

async function timed(fn) {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function sdkGet(client) {
  const out = await client.send(new GetObjectCommand({ Bucket: 'bench', Key: 'big' }));
  let n = 0;
  for await (const chunk of out.Body) n += chunk.length;
  if (n !== SIZE) throw new Error(`GetObject returned ${n} bytes, not ${SIZE}`);
}

function nodeGet(url) {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      res.on('data', () => undefined);
      res.on('end', resolve);
      res.on('error', reject);
    }).on('error', reject);
  });
}
