// How fast the engine delivers a burst of SNS messages, without HTTP or client processes: one
// function (async invoke) and one queue (raw delivery) subscribed; `--messages` published at once
// with PublishBatch (10 per call) through the library, then timed until every message is in the
// queue and the function has run for each. Prints acceptance and delivery rates, cold starts and
// the process's CPU per message (engine + environments).
// Usage: npm run build && node bench/sns/drain.js [--messages 5000]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine } from '../../dist/engine.js';
import { treeCpuMicros } from '../invoke/serve-process.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '5000' } } });
const MESSAGES = Number(values.messages);
const ACCOUNT = '000000000000';

const dir = mkdtempSync(join(tmpdir(), 'lambdata-bench-sns-drain-'));
const code = join(dir, 'code');
mkdirSync(code);
writeFileSync(join(code, 'index.mjs'), 'export const handler = async (event) => ({ got: event.Records.length });\n');
const engine = await createEngine({ dataDir: join(dir, 'data') });
try {
  await engine.functions.create({ name: 'sns-drain', handler: 'index.handler', code: { dir: code } });
  const topic = engine.topics.createTopic('drain');
  engine.queues.createQueue('sns-drain');
  engine.topicPublisher.subscribe(topic.arn, 'lambda', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:sns-drain`);
  engine.topicPublisher.subscribe(topic.arn, 'sqs', `arn:aws:sqs:us-east-1:${ACCOUNT}:sns-drain`, {
    RawMessageDelivery: 'true',
  });
  // Warm one environment so the figure is not one cold start.
  await engine.topicPublisher.publish({ topicArn: topic.arn, message: 'warm' });
  await drained();
  const load = loadavg()[0];
  const cpuBefore = treeCpuMicros(process.pid, { reaped: true });
  const recordsBefore = engine.invocations.recent({ limit: 10_000 }).length;
  const started = performance.now();
  const calls = [];
  for (let i = 0; i < MESSAGES; i += 10) {
    const entries = Array.from({ length: Math.min(10, MESSAGES - i) }, (_, j) => ({
      id: String(j),
      topicArn: topic.arn,
      message: `m-${i + j}`,
    }));
    calls.push(engine.topicPublisher.publishBatch(topic.arn, entries));
  }
  await Promise.all(calls);
  const accepted = (performance.now() - started) / 1000;
  await drained();
  const delivered = (performance.now() - started) / 1000;
  const cpu = treeCpuMicros(process.pid, { reaped: true }) - cpuBefore;
  const records = engine.invocations.recent({ limit: 10_000 }).slice(0, MESSAGES + 1);
  const ran = engine.invocations.recent({ limit: 10_000 }).length - recordsBefore;
  const cold = records.filter((r) => r.initDurationMs !== null).length;
  const queued = engine.queues.depth('sns-drain').visible;
  console.log(
    `${MESSAGES} messages (load ${load.toFixed(1)}): accepted in ${accepted.toFixed(2)} s (${Math.round(MESSAGES / accepted)}/s), ` +
      `delivered in ${delivered.toFixed(2)} s (${Math.round(MESSAGES / delivered)}/s); ${ran} invocations, ${cold} cold starts; ` +
      `CPU ${Math.round(cpu / MESSAGES)} µs per message (engine + environments); queue holds ${queued} (1 warm-up)`,
  );
} finally {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
}

/** Resolves once no async invocation is queued or running. */
async function drained() {
  for (;;) {
    const { inUse } = engine.invocations.concurrency();
    if (engine.invocations.queueDepth() === 0 && inUse === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
