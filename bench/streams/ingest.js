// PutRecords ingest benchmark: 1 KB records in batches of 500 through @aws-sdk/client-kinesis against
// lambdata (server in a child process), beside the SQLite insert floor (raw better-sqlite3, same rows)
// and the HTTP round-trip floor (same SDK against a bare node:http server).
// Run: npm run build && node bench/streams/ingest.js [--records 100000] [--concurrency 4] [--cpu-prof <dir>]
// (--cpu-prof writes a V8 CPU profile of the lambdata server child into <dir>; --checkpoint background
// moves SQLite WAL checkpoints off the request path into a worker thread, see server.js.)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
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
    checkpoint: { type: 'string', default: 'auto' },
  },
});
const TOTAL = Number(values.records);
const CONCURRENCY = Number(values.concurrency);
const BATCH = 500;
const RECORD_BYTES = 1024;
const SERVER = join(import.meta.dirname, 'server.js');

const payloads = Array.from({ length: BATCH }, (_, i) => ({
  PartitionKey: `key-${i}`,
  Data: randomBytes(RECORD_BYTES),
}));

async function startChild(args, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, SERVER, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'error' },
  });
  const url = await new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function sdkIngest(url, streamName) {
  const kinesis = new KinesisClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }) }),
  });
  const command = new PutRecordsCommand({ StreamName: streamName, Records: payloads });
  await kinesis.send(command); // warm-up
  let sent = 0;
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
  kinesis.destroy();
  return sent / seconds;
}

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

const dir = mkdtempSync(join(tmpdir(), 'lambdata-bench-streams-'));
try {
  const floor = sqliteFloor(dir);
  const bare = await startChild(['bare']);
  const http = await sdkIngest(bare.url, 'bench').finally(bare.stop);
  const profile = values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', values['cpu-prof']] : [];
  const engine = await startChild(['engine', join(dir, 'data'), `${values.checkpoint}-checkpoint`], profile);
  const lambdata = await sdkIngest(engine.url, 'bench').finally(engine.stop);
  const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(10);
  console.log(
    `PutRecords ingest, ${TOTAL.toLocaleString('en-US')} × ${RECORD_BYTES} B records, batches of ${BATCH}, ${CONCURRENCY} concurrent, ${values.checkpoint} WAL checkpoints`,
  );
  console.log(`  SQLite insert floor (better-sqlite3) ${fmt(floor)} records/s`);
  console.log(`  HTTP + SDK floor (bare node:http)    ${fmt(http)} records/s`);
  console.log(`  lambdata (SDK → HTTP → SQLite)       ${fmt(lambdata)} records/s`);
  console.log(`  lambdata / HTTP floor  ${(lambdata / http).toFixed(2)}`);
  console.log(`  lambdata / SQLite floor ${(lambdata / floor).toFixed(2)}`);
  console.log(`  target 50,000 records/s: ${lambdata >= 50_000 ? 'met' : 'NOT met'}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
