// Object store throughput vs the raw filesystem floor, and listing cost among many keys.
// Run after `npm run build`:  node bench/objects/run.mjs [--big-mb 512] [--small-count 50] [--only listing|throughput]
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs, promisify } from 'node:util';
import { startServer } from '../../dist/api/index.js';
import { createEngine } from '../../dist/engine.js';

const { values } = parseArgs({
  options: {
    'big-mb': { type: 'string', default: '512' },
    'small-count': { type: 'string', default: '50' },
    keys: { type: 'string', default: '100000' },
    only: { type: 'string' },
  },
});
const BIG = Number(values['big-mb']) * 1024 * 1024;
const SMALL = 1024 * 1024;
const SMALL_COUNT = Number(values['small-count']);
const KEYS = Number(values.keys);
const CHUNK = 1024 * 1024;
const execFileAsync = promisify(execFile);

const root = mkdtempSync(join(tmpdir(), 'lambdata-bench-objects-'));
const engine = await createEngine({ dataDir: join(root, 'data'), background: false });
await engine.objects.start();
const store = engine.objects;
store.createBucket('bench');
const results = [];

/** A body as 1 MiB chunks of one pre-made buffer, so we time the store, not the random generator. */
const source = randomBytes(CHUNK * 4);
function body(size) {
  return Readable.from(
    (function* () {
      for (let at = 0; at < size; at += CHUNK)
        yield source.subarray(((at / CHUNK) % 4) * CHUNK, ((at / CHUNK) % 4) * CHUNK + Math.min(CHUNK, size - at));
    })(),
  );
}
const mbps = (bytes, ms) => bytes / 1024 / 1024 / (ms / 1000);
async function timed(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}
async function drain(stream) {
  let n = 0;
  for await (const chunk of stream) n += chunk.length;
  return n;
}

function rawWrite(path, size) {
  const fd = openSync(path, 'w');
  for (let at = 0; at < size; at += CHUNK) {
    const i = (at / CHUNK) % 4;
    writeSync(fd, source, i * CHUNK, Math.min(CHUNK, size - at));
  }
  fsyncSync(fd);
  closeSync(fd);
}
function rawRead(path) {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  let total = 0;
  for (let n = readSync(fd, buf, 0, CHUNK, null); n > 0; n = readSync(fd, buf, 0, CHUNK, null)) total += n;
  closeSync(fd);
  return total;
}

async function throughput(label, size, count) {
  const bytes = size * count;
  const rawW = await timed(async () => {
    for (let i = 0; i < count; i++) rawWrite(join(root, `raw-${i}`), size);
  });
  const rawR = await timed(async () => {
    for (let i = 0; i < count; i++) rawRead(join(root, `raw-${i}`));
  });
  for (let i = 0; i < count; i++) rmSync(join(root, `raw-${i}`));
  const put = await timed(async () => {
    for (let i = 0; i < count; i++) await store.putObject('bench', `${label}/${i}`, body(size));
  });
  const get = await timed(async () => {
    for (let i = 0; i < count; i++) await drain((await store.getObject('bench', `${label}/${i}`)).body);
  });
  results.push(
    { what: `${label} raw write+fsync`, MBps: mbps(bytes, rawW) },
    { what: `${label} library put`, MBps: mbps(bytes, put), ratio: rawW / put },
    { what: `${label} raw read`, MBps: mbps(bytes, rawR) },
    { what: `${label} library get`, MBps: mbps(bytes, get), ratio: rawR / get },
  );
  return { rawR, rawW, bytes };
}

async function http(label, size, count, floor) {
  const server = await startServer(engine, { port: 0 });
  try {
    const { S3Client, PutObjectCommand, GetObjectCommand } = await import('@aws-sdk/client-s3');
    const s3 = new S3Client({
      endpoint: server.url,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const bytes = size * count;
    const put = await timed(async () => {
      for (let i = 0; i < count; i++) {
        await s3.send(
          new PutObjectCommand({ Bucket: 'bench', Key: `http-${label}/${i}`, Body: body(size), ContentLength: size }),
        );
      }
    });
    const get = await timed(async () => {
      for (let i = 0; i < count; i++) {
        const out = await s3.send(new GetObjectCommand({ Bucket: 'bench', Key: `http-${label}/${i}` }));
        await drain(out.Body);
      }
    });
    // The native route read by curl in its own process, so client and server do not share one event loop.
    const native = await timed(async () => {
      for (let i = 0; i < count; i++) {
        const url = `${server.url}/_lambdata/buckets/bench/objects/${encodeURIComponent(`${label}/${i}`)}`;
        await execFileAsync('curl', ['-sf', '-o', '/dev/null', url]);
      }
    });
    results.push(
      { what: `${label} native API get (HTTP, curl)`, MBps: mbps(bytes, native), ratio: floor.rawR / native },
      { what: `${label} S3 SDK put (HTTP)`, MBps: mbps(bytes, put), ratio: floor.rawW / put },
      { what: `${label} S3 SDK get (HTTP)`, MBps: mbps(bytes, get), ratio: floor.rawR / get },
    );
    s3.destroy();
  } catch (err) {
    results.push({ what: `${label} S3 SDK (HTTP)`, error: err.name ?? String(err) });
  } finally {
    await server.close();
  }
}

/**
 * The loopback HTTP ceiling: a bare node:http server writing the same bytes from memory (no disk, no
 * store) to curl. No HTTP GET can beat this on the machine, whatever the raw read floor is.
 */
async function loopbackCeiling(label, size, floor) {
  const server = createServer(async (_req, res) => {
    res.writeHead(200, { 'content-length': size });
    for (let at = 0; at < size; at += CHUNK) {
      const i = (at / CHUNK) % 4;
      if (!res.write(source.subarray(i * CHUNK, i * CHUNK + Math.min(CHUNK, size - at)))) {
        await new Promise((resolve) => res.once('drain', resolve));
      }
    }
    res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const ms = await timed(() =>
      execFileAsync('curl', ['-sf', '-o', '/dev/null', `http://127.0.0.1:${server.address().port}/`]),
    );
    results.push({
      what: `${label} loopback HTTP ceiling (memory → curl)`,
      MBps: mbps(size, ms),
      ratio: floor.rawR / ms,
    });
  } finally {
    server.close();
  }
}

async function listing() {
  // 100 prefixes × (KEYS/100) keys, committed through the library against one shared body file.
  store.createBucket('listing');
  const seed = await store.putObject('listing', 'seed', 'x');
  const file = store.bodyPath('listing', 'seed');
  const relativeFile = file.slice(join(root, 'data', 'objects').length + 1);
  const per = KEYS / 100;
  const fill = await timed(async () => {
    engine.context.db.transaction(() => {
      for (let p = 0; p < 100; p++) {
        for (let k = 0; k < per; k++) {
          store.commitObject({
            bucket: 'listing',
            key: Buffer.from(`p${String(p).padStart(2, '0')}/key${String(k).padStart(6, '0')}`),
            file: relativeFile,
            size: 1,
            etag: seed.etag.slice(1, -1),
            options: {},
            eventName: 'ObjectCreated:Put',
          });
        }
      }
    })();
  });
  const times = [];
  for (let i = 0; i < 20; i++) {
    const prefix = `p${String((i * 37) % 100).padStart(2, '0')}/`;
    const ms = await timed(async () => {
      const page = store.listObjects('listing', { prefix, maxKeys: 1000 });
      if (page.objects.length !== Math.min(1000, per)) throw new Error(`listed ${page.objects.length}`);
    });
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  // The floor: the same index range scan straight on SQLite, no object mapping.
  const scan = engine.context.db.prepare(
    'SELECT * FROM s3_objects WHERE bucket = ? AND object_key >= ? AND object_key < ? ORDER BY object_key LIMIT 1001',
  );
  const floors = [];
  for (let i = 0; i < 20; i++) {
    const p = String((i * 37) % 100).padStart(2, '0');
    floors.push(await timed(async () => scan.all('listing', Buffer.from(`p${p}/`), Buffer.from(`p${p}0`))));
  }
  floors.sort((a, b) => a - b);
  const delim = await timed(async () => {
    const page = store.listObjects('listing', { delimiter: '/' });
    if (page.commonPrefixes.length !== 100 || page.objects.length !== 1)
      throw new Error(`got ${page.commonPrefixes.length} prefixes`);
  });
  results.push(
    { what: `commit ${KEYS} keys (one transaction)`, ms: fill },
    { what: `list ${Math.min(1000, KEYS / 100)} keys of a prefix among ${KEYS} (median of 20)`, ms: times[10] },
    { what: `list ${Math.min(1000, KEYS / 100)} keys of a prefix among ${KEYS} (max of 20)`, ms: times.at(-1) },
    { what: `raw SQLite range scan of the same ${Math.min(1000, KEYS / 100)} rows (median of 20)`, ms: floors[10] },
    { what: `list with delimiter '/': 100 common prefixes among ${KEYS}`, ms: delim },
  );
}

try {
  if (values.only !== 'listing') {
    const small = await throughput('1MB', SMALL, SMALL_COUNT);
    const big = await throughput(`${BIG / 1024 / 1024}MB`, BIG, 1);
    await http('1MB', SMALL, SMALL_COUNT, small);
    await http(`${BIG / 1024 / 1024}MB`, BIG, 1, big);
    await loopbackCeiling(`${BIG / 1024 / 1024}MB`, BIG, big);
  }
  if (values.only !== 'throughput') await listing();
} finally {
  await engine.close();
  rmSync(root, { recursive: true, force: true });
}
for (const r of results) {
  const cells = [r.what.padEnd(58)];
  if (r.MBps !== undefined) cells.push(`${r.MBps.toFixed(0).padStart(6)} MB/s`);
  if (r.ratio !== undefined) cells.push(`${(r.ratio * 100).toFixed(0).padStart(4)}% of raw`);
  if (r.ms !== undefined) cells.push(`${r.ms.toFixed(2).padStart(9)} ms`);
  if (r.error) cells.push(`not measured: ${r.error}`);
  console.log(cells.join('  '));
}
