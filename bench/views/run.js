// The Lambda Architecture through `lambdata serve` in its own process, each figure beside a floor
// measured in the same run:
//   1. ingest → visible in a query (PutRecord, then query until the key counts it), p50/p99,
//      against the bare PutRecord round trip;
//   2. query p99 over HTTP, and through the library (the engine in this process, same data dir),
//      against a bare node:http round trip (a server in its own process answering the same bytes);
//   3. speed layer: sustained ingest with the view updating, events/s from the first PutRecords to
//      the last event visible in a query;
//   4. batch recompute: a full recompute over the master dataset, MB/s of JSON events, against a
//      single-core JSON.parse-per-line loop over the same bytes.
// Usage: npm run build && node bench/views/run.js [--quick] [--mb 20] [--visible 200] [--queries 2000]
//        (--mb 1000 for the 1 GB figure)
//   --quick: 5 MB, 50 ingest samples, 500 queries (CI keeps the benchmark working with it); flags given
//   beside it win.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateStreamCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import {
  jsonParseFloorOfLines,
  native,
  pct,
  putAllLines,
  startBareServer,
  startServe,
  timeCalls,
  tweets,
  until,
} from './lib.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    mb: { type: 'string' },
    visible: { type: 'string' },
    queries: { type: 'string' },
    writers: { type: 'string', default: '4' },
  },
});
const MB = Number(values.mb ?? (values.quick ? 5 : 20));
const VISIBLE = Number(values.visible ?? (values.quick ? 50 : 200));
const QUERIES = Number(values.queries ?? (values.quick ? 500 : 2000));
const WRITERS = Number(values.writers);
const HOUR = 3_600_000;
const VIEW = 'bench-words';
const MARK = 'benchmarkword';

const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-bench-views-'));
const serve = await startServe(dataDir);
const kinesis = new KinesisClient({
  endpoint: serve.url,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const results = {};
const query = (key) => native(serve.url, 'GET', `/views/${VIEW}/query?key=${encodeURIComponent(key)}`);
try {
  await kinesis.send(new CreateStreamCommand({ StreamName: 'bench', ShardCount: 2 }));
  await native(serve.url, 'POST', '/datasets', { name: 'bench-master', stream: 'bench' });
  await native(serve.url, 'POST', '/views', { name: VIEW, dataset: 'bench-master', view: 'word-count-hourly' });

  // 1. Ingest → visible.
  const rtt = [];
  const visible = [];
  for (let i = -10; i < VISIBLE; i++) {
    const word = `zq${i + 10}x`;
    const tweet = {
      id: `v${i}`,
      user: `u${i % 7}`,
      text: `${word} is here`,
      hashtags: [],
      created_at: new Date().toISOString(),
      lang: 'en',
    };
    const start = performance.now();
    await kinesis.send(
      new PutRecordCommand({ StreamName: 'bench', PartitionKey: tweet.user, Data: Buffer.from(JSON.stringify(tweet)) }),
    );
    const acked = performance.now();
    await until(async () => (await query(word)).value >= 1, { timeoutMs: 10_000, what: `${word} visible` });
    if (i >= 0) {
      rtt.push(acked - start);
      visible.push(performance.now() - start);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  results.visible = { floorP50: pct(rtt, 50), floorP99: pct(rtt, 99), p50: pct(visible, 50), p99: pct(visible, 99) };

  // 3. Speed layer sustained ingest: MB of tweets over the 10 hours before this one, from WRITERS concurrent writers.
  const end = Math.floor(Date.now() / HOUR) * HOUR - 1;
  const sample = JSON.stringify([...tweets(1, { extraWord: MARK })][0]);
  const total = Math.ceil((MB * 1e6) / (Buffer.byteLength(sample) + 1));
  const lines = [];
  let bytes = 0;
  for (const tweet of tweets(total, { end, spanMs: 10 * HOUR, extraWord: MARK })) {
    const line = JSON.stringify(tweet);
    lines.push(line);
    bytes += Buffer.byteLength(line) + 1;
  }
  const ingestStart = performance.now();
  await putAllLines(kinesis, 'bench', lines, WRITERS);
  const putDone = performance.now();
  await until(async () => (await query(MARK)).value >= total, {
    timeoutMs: 30 * 60_000,
    everyMs: 100,
    what: 'all applied',
  });
  const applied = performance.now();
  results.speed = {
    events: total,
    mb: bytes / 1e6,
    putEventsPerSecond: total / ((putDone - ingestStart) / 1000),
    eventsPerSecond: total / ((applied - ingestStart) / 1000),
  };

  // 2. Query over HTTP against a bare node:http round trip of the same answer.
  const answerBody = JSON.stringify(await query('the'));
  const bare = await startBareServer(answerBody);
  try {
    const floor = await timeCalls(QUERIES, () => fetch(`${bare.url}/q?key=the`).then((r) => r.text()));
    const http = await timeCalls(QUERIES, () =>
      fetch(`${serve.url}/_lambdata/views/${VIEW}/query?key=the`).then((r) => r.text()),
    );
    results.query = {
      floorP50: pct(floor, 50),
      floorP99: pct(floor, 99),
      httpP50: pct(http, 50),
      httpP99: pct(http, 99),
    };
  } finally {
    bare.stop();
  }

  // 4. Batch recompute over the master dataset.
  const floorMbs = jsonParseFloorOfLines(lines);
  const recomputeStart = performance.now();
  await native(serve.url, 'POST', `/views/${VIEW}/recompute`, {});
  const info = await until(
    async () => {
      const v = await native(serve.url, 'GET', `/views/${VIEW}`);
      if (v.recompute.lastError) throw new Error(`recompute failed: ${v.recompute.lastError}`);
      return v.batch && !v.recompute.running ? v : undefined;
    },
    { timeoutMs: 60 * 60_000, everyMs: 200, what: 'the recompute' },
  );
  const seconds = (performance.now() - recomputeStart) / 1000;
  const check = await query(MARK);
  if (check.batch.value !== total) throw new Error(`batch counted ${check.batch.value} of ${total} ${MARK}`);
  results.recompute = { mb: bytes / 1e6, events: info.batch.events, seconds, mbs: bytes / 1e6 / seconds, floorMbs };
} finally {
  kinesis.destroy();
  await serve.stop();
}

// 2b. Query through the library: the engine in this process on the same data dir.
{
  const { createEngine } = await import('../../dist/engine.js');
  const engine = await createEngine({ dataDir });
  try {
    const library = await timeCalls(QUERIES, () => engine.views.query(VIEW, 'the'));
    results.query.libraryP50 = pct(library, 50);
    results.query.libraryP99 = pct(library, 99);
  } finally {
    await engine.close();
  }
}
rmSync(dataDir, { recursive: true, force: true });

const ms = (x) => `${x.toFixed(2)} ms`;
const r = results;
console.log(`lambdata serve in its own process; ${MB} MB of tweets (${r.speed.events} events), ${WRITERS} writers`);
console.log(
  `ingest → visible in a query      p50 ${ms(r.visible.p50)}  p99 ${ms(r.visible.p99)}   floor PutRecord p50 ${ms(r.visible.floorP50)}  p99 ${ms(r.visible.floorP99)}   p99 ratio ${(r.visible.p99 / r.visible.floorP99).toFixed(1)}× (goal p99 ≤ 50 ms)`,
);
console.log(
  `query over HTTP                  p50 ${ms(r.query.httpP50)}  p99 ${ms(r.query.httpP99)}   floor bare node:http p50 ${ms(r.query.floorP50)}  p99 ${ms(r.query.floorP99)}   p99 ratio ${(r.query.httpP99 / r.query.floorP99).toFixed(2)}× (goal ≤ 2×)`,
);
console.log(
  `query through the library        p50 ${ms(r.query.libraryP50)}  p99 ${ms(r.query.libraryP99)}   p99 ratio to the HTTP floor ${(r.query.libraryP99 / r.query.floorP99).toFixed(2)}×`,
);
console.log(
  `speed layer sustained ingest     ${Math.round(r.speed.eventsPerSecond)} events/s applied (PutRecords side ${Math.round(r.speed.putEventsPerSecond)} events/s) (goal ≥ 20,000)`,
);
console.log(
  `batch recompute                  ${r.recompute.mbs.toFixed(1)} MB/s over ${r.recompute.mb.toFixed(0)} MB in ${r.recompute.seconds.toFixed(1)} s   floor JSON.parse per line, 1 core ${r.recompute.floorMbs.toFixed(1)} MB/s   ratio ${(r.recompute.mbs / r.recompute.floorMbs).toFixed(2)}× (goal ≥ 1.5×)`,
);
console.log(JSON.stringify(results));
