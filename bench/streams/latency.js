// End-to-end latency on an idle stream, through `lambdata serve` in its own process as users run it:
// PutRecord (SDK) → event source mapping → the function's first log line (read from the native
// log stream, GET /_lambdata/functions/:name/logs/stream), beside the HTTP round-trip floor (the
// PutRecord call itself) measured in the same run.
// Usage: npm run build && node bench/streams/latency.js [--records 200] [--gap-ms 50]
import { parseArgs } from 'node:util';
import { CreateStreamCommand, KinesisClient, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { CreateEventSourceMappingCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';
import { startServe } from '../invoke/serve-process.js';

const { values } = parseArgs({
  options: { records: { type: 'string', default: '200' }, 'gap-ms': { type: 'string', default: '50' } },
});
const RECORDS = Number(values.records);
const GAP_MS = Number(values['gap-ms']);
const HANDLER =
  "export const handler = async (event) => { for (const r of event.Records) console.log('rec ' + Buffer.from(r.kinesis.data, 'base64').toString()); };\n";
const client = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

/** Calls `onLine(text, receivedAt)` for each log line of `fn` from the SSE stream; answers a stop(). */
async function followLogs(url, fn, onLine) {
  const abort = new AbortController();
  const res = await fetch(`${url}/_lambdata/functions/${fn}/logs/stream`, { signal: abort.signal });
  if (!res.ok) throw new Error(`log stream → ${res.status}`);
  const decoder = new TextDecoder();
  const done = (async () => {
    let buffered = '';
    try {
      for await (const chunk of res.body) {
        const at = performance.now();
        buffered += decoder.decode(chunk, { stream: true });
        let end = buffered.indexOf('\n\n');
        while (end !== -1) {
          const frame = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          end = buffered.indexOf('\n\n');
          const data = /^data: (.*)$/m.exec(frame);
          if (/^event: log$/m.test(frame) && data) onLine(JSON.parse(data[1]).line ?? '', at);
        }
      }
    } catch (err) {
      if (err.name !== 'AbortError') throw err;
    }
  })();
  return () => {
    abort.abort();
    return done;
  };
}

const serve = await startServe();
const kinesis = new KinesisClient({ endpoint: serve.url, ...client });
const lambda = new LambdaClient({ endpoint: serve.url, ...client });
let stopLogs = async () => {};
try {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'latency',
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::000000000000:role/lambda',
      Handler: 'index.handler',
      Code: { ZipFile: Buffer.from(zipSync({ 'index.mjs': Buffer.from(HANDLER) })) },
    }),
  );
  await kinesis.send(new CreateStreamCommand({ StreamName: 'latency', ShardCount: 1 }));
  await lambda.send(
    new CreateEventSourceMappingCommand({
      FunctionName: 'latency',
      EventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/latency',
      StartingPosition: 'LATEST',
      BatchSize: 100,
    }),
  );

  const seen = new Map();
  const waiting = new Map();
  stopLogs = await followLogs(serve.url, 'latency', (line, at) => {
    const m = /rec (\S+)/.exec(line);
    if (!m) return;
    seen.set(m[1], at);
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
  console.log(`lambdata serve in its own process; records ${RECORDS}, gap ${GAP_MS} ms between records (idle stream)`);
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
  await stopLogs();
  kinesis.destroy();
  lambda.destroy();
  await serve.stop();
}
