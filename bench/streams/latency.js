// End-to-end latency on an idle stream: PutRecord (SDK) → event source mapping → the function's
// first log line, beside the HTTP round-trip floor (the PutRecord call itself) measured in the
// same run. Usage: npm run build && node bench/streams/latency.js [--records 200] [--gap-ms 50]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { startServer } from '../../dist/api/index.js';
import { createEngine } from '../../dist/engine.js';

const { values } = parseArgs({
  options: { records: { type: 'string', default: '200' }, 'gap-ms': { type: 'string', default: '50' } },
});
const RECORDS = Number(values.records);
const GAP_MS = Number(values['gap-ms']);

const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-bench-latency-'));
const codeDir = mkdtempSync(join(tmpdir(), 'lambdata-bench-fn-'));
writeFileSync(
  join(codeDir, 'index.mjs'),
  "export const handler = async (event) => { for (const r of event.Records) console.log('rec ' + Buffer.from(r.kinesis.data, 'base64').toString()); };\n",
);

const engine = await createEngine({ dataDir });
const server = await startServer(engine, { port: 0 });
const kinesis = new KinesisClient({
  endpoint: server.url,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  // Plain HTTP/1.1 (the Kinesis client defaults to HTTP/2, which only SubscribeToShard needs).
});
try {
  await engine.functions.create({ name: 'latency', handler: 'index.handler', code: { dir: codeDir } });
  engine.streams.createStream('latency', { shardCount: 1 });
  engine.mappings.create({
    functionName: 'latency',
    eventSourceArn: engine.streams.streamArn('latency'),
    startingPosition: 'LATEST',
    batchSize: 100,
  });

  const seen = new Map();
  const waiting = new Map();
  engine.logs.lines.subscribe(({ line }) => {
    const m = /rec (\S+)/.exec(line);
    if (!m) return;
    seen.set(m[1], performance.now());
    waiting.get(m[1])?.();
  });
  const put = async (id) => {
    const arrived = new Promise((resolve) => waiting.set(id, resolve));
    const start = performance.now();
    await kinesis.send(new PutRecordCommand({ StreamName: 'latency', PartitionKey: 'k', Data: Buffer.from(id) }));
    const acked = performance.now();
    await arrived;
    waiting.delete(id);
    return { rtt: acked - start, e2e: seen.get(id) - start };
  };

  for (let i = 0; i < 5; i++) await put(`warm-${i}`); // cold start and JIT out of the way
  const rtt = [];
  const e2e = [];
  for (let i = 0; i < RECORDS; i++) {
    await new Promise((r) => setTimeout(r, GAP_MS)); // let the stream go idle between records
    const r = await put(`r${i}`);
    rtt.push(r.rtt);
    e2e.push(r.e2e);
  }
  const pct = (xs, p) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)].toFixed(1);
  };
  console.log(`records ${RECORDS}, gap ${GAP_MS} ms between records (idle stream)`);
  console.log(`PutRecord HTTP round trip (floor): p50 ${pct(rtt, 50)} ms  p99 ${pct(rtt, 99)} ms`);
  console.log(
    `PutRecord → first function log line: p50 ${pct(e2e, 50)} ms  p99 ${pct(e2e, 99)} ms  max ${Math.max(...e2e).toFixed(1)} ms`,
  );
  console.log(
    JSON.stringify({
      bench: 'streams-latency',
      records: RECORDS,
      rttP50: +pct(rtt, 50),
      rttP99: +pct(rtt, 99),
      e2eP50: +pct(e2e, 50),
      e2eP99: +pct(e2e, 99),
    }),
  );
} finally {
  kinesis.destroy();
  await server.close();
  await engine.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(codeDir, { recursive: true, force: true });
}
