// PutRecords ingest benchmark: 1 KB records in batches of 500 through @aws-sdk/client-kinesis against
// lambdata (server in a child process), beside the SQLite insert floor (raw better-sqlite3, same rows)
// (both one row per record and one row per shard per batch, as lambdata stores them) and the HTTP
// round-trip floor (same SDK against a bare node:http server), all in the same run.
// Run: npm run build && node bench/streams/ingest.js [--records 100000] [--concurrency 4] [--cpu-prof <dir>]
//   [--checkpoint background|auto|both]
// --checkpoint picks where the engine runs SQLite WAL checkpoints: 'background' (the engine's default, a
// worker thread) or 'auto' (SQLite's own, inside commits); 'both' (default) runs one after the other.
// Beside each rate the server's CPU per record (all its threads, timed part only) is printed: on a
// shared machine that figure drifts far less than the rate. --cpu-prof writes a V8 CPU profile of
// each lambdata server child into <dir>.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import Database from 'better-sqlite3';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '4' },
    'cpu-prof': { type: 'string' },
    checkpoint: { type: 'string', default: 'both' },
  },
});
const TOTAL = Number(values.records);
const CONCURRENCY = Number(values.concurrency);
const BATCH = 500;
const WARMUP_BATCHES = 10;
const RECORD_BYTES = 1024;
const SERVER = join(import.meta.dirname, 'server.js');

const payloads = Array.from({ length: BATCH }, (_, i) => ({
  PartitionKey: `key-${i}`,
  Data: randomBytes(RECORD_BYTES),
}));

async function startChild(args, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, SERVER, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'error' },
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async () => (await lines.next()).value;
  const url = await nextLine();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url,
    /** The child's CPU time so far, in µs: `all` threads and the `main` thread (undefined off Linux). */
    cpu: async () => {
      child.stdin.write('cpu\n');
      return JSON.parse(await nextLine());
    },
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Records/s through the SDK, and the server's CPU µs per record over the timed part. */
async function sdkIngest({ url, cpu }, streamName) {
  const kinesis = new KinesisClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }) }),
  });
  const command = new PutRecordsCommand({ StreamName: streamName, Records: payloads });
  // Warm-up: 10 batches (5 MB) let the JIT settle and carry the engine's WAL past the size at which
  // its checkpointer thread starts, so the timed part measures the steady state.
  for (let i = 0; i < WARMUP_BATCHES; i++) await kinesis.send(command);
  let sent = 0;
  const cpuBefore = await cpu();
  const clientBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const worker = async () => {
    while (sent < TOTAL) {
      sent += BATCH;
      const out = await kinesis.send(command);
      if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const client = process.cpuUsage(clientBefore);
  const cpuAfter = await cpu();
  kinesis.destroy();
  return {
    rate: sent / seconds,
    cpuPerRecord: (cpuAfter.all - cpuBefore.all) / sent,
    mainCpuPerRecord: cpuAfter.main === undefined ? undefined : (cpuAfter.main - cpuBefore.main) / sent,
    clientCpuPerRecord: (client.user + client.system) / sent,
  };
}

/** Raw better-sqlite3 inserts of the same records, one row per record (the layout before batches). */
function sqliteFloor(dir) {
  const db = new Database(join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE r (seq INTEGER PRIMARY KEY AUTOINCREMENT, shard INTEGER NOT NULL, partition_key TEXT NOT NULL,
    data BLOB NOT NULL, arrived INTEGER NOT NULL); CREATE INDEX r_shard ON r (shard, seq);`);
  const insert = db.prepare('INSERT INTO r (shard, partition_key, data, arrived) VALUES (?, ?, ?, ?)');
  const batch = db.transaction((now) => {
    for (let i = 0; i < BATCH; i++) insert.run(i % 4, payloads[i].PartitionKey, payloads[i].Data, now);
  });
  const started = process.hrtime.bigint();
  for (let n = 0; n < TOTAL; n += BATCH) batch(Date.now());
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return TOTAL / seconds;
}

/** The same, one row per shard per batch holding its records end to end (the layout lambdata stores). */
function packedFloor(dir) {
  const db = new Database(join(dir, 'packed-floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE b (last_seq INTEGER PRIMARY KEY AUTOINCREMENT, shard INTEGER NOT NULL, count INTEGER NOT NULL,
    arrived INTEGER NOT NULL, keys TEXT NOT NULL, sizes BLOB, data BLOB NOT NULL); CREATE INDEX b_shard ON b (shard, last_seq);`);
  const insert = db.prepare('INSERT INTO b (shard, count, arrived, keys, sizes, data) VALUES (?, ?, ?, ?, ?, ?)');
  const batch = db.transaction((now) => {
    for (let shard = 0; shard < 4; shard++) {
      const mine = payloads.filter((_, i) => i % 4 === shard);
      const sizes = Buffer.alloc(mine.length * 4);
      mine.forEach((p, i) => {
        sizes.writeUInt32LE(p.Data.length, i * 4);
      });
      const keys = JSON.stringify(mine.map((p) => p.PartitionKey));
      insert.run(shard, mine.length, now, keys, sizes, Buffer.concat(mine.map((p) => p.Data)));
    }
  });
  const started = process.hrtime.bigint();
  for (let n = 0; n < TOTAL; n += BATCH) batch(Date.now());
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  return TOTAL / seconds;
}

/** Writes back what earlier runs left dirty in the page cache, so it does not land on the next run. */
function settleDisk() {
  try {
    execFileSync('sync');
  } catch (err) {
    console.error(`sync failed (${err.message}); runs may share write-back`);
  }
}

const modes = values.checkpoint === 'both' ? ['auto', 'background'] : [values.checkpoint];
const dir = mkdtempSync(join(tmpdir(), 'lambdata-bench-streams-'));
try {
  const loadBefore = loadavg()[0];
  const floor = sqliteFloor(dir);
  const packed = packedFloor(dir);
  const bare = await startChild(['bare']);
  settleDisk();
  const http = await sdkIngest(bare, 'bench').finally(bare.stop);
  const profile = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [];
  const runs = [];
  for (const mode of modes) {
    settleDisk();
    const engine = await startChild(['engine', join(dir, `data-${mode}`), mode], profile);
    runs.push({ mode, ...(await sdkIngest(engine, 'bench').finally(engine.stop)) });
  }
  const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(10);
  const cpu = (r) =>
    `server CPU/record ${r.cpuPerRecord.toFixed(1).padStart(5)} µs` +
    (r.mainCpuPerRecord === undefined ? '' : ` (main thread ${r.mainCpuPerRecord.toFixed(1).padStart(5)} µs)`) +
    `, client ${r.clientCpuPerRecord.toFixed(1).padStart(5)} µs`;
  console.log(
    `PutRecords ingest, ${TOTAL.toLocaleString('en-US')} × ${RECORD_BYTES} B records, batches of ${BATCH}, ${CONCURRENCY} concurrent`,
  );
  console.log(`  SQLite insert floor (better-sqlite3)            ${fmt(floor)} records/s  (a row per record)`);
  console.log(
    `  SQLite insert floor, rows as lambdata stores    ${fmt(packed)} records/s  (a row per shard per batch)`,
  );
  console.log(`  HTTP + SDK floor (bare node:http)               ${fmt(http.rate)} records/s  ${cpu(http)}`);
  for (const run of runs) {
    const label = `lambdata, ${run.mode} WAL checkpoints`.padEnd(46);
    console.log(`  ${label}  ${fmt(run.rate)} records/s  ${cpu(run)}`);
  }
  for (const run of runs) {
    console.log(
      `  ${run.mode}: lambdata / HTTP floor ${(run.rate / http.rate).toFixed(2)}, lambdata / SQLite floor ${(run.rate / floor).toFixed(2)}`,
    );
  }
  console.log(`  load average (1 min): ${loadBefore.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end`);
  const judged = runs.at(-1);
  console.log(`  target 50,000 records/s (${judged.mode} checkpoints): ${judged.rate >= 50_000 ? 'met' : 'NOT met'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
