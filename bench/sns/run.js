// SNS: Publish → subscribed function invoked and → subscribed queue message visible, p50/p99 on an
// idle engine, and Publish throughput with one function and one queue subscribed, each beside the
// bare HTTP round trip (the same SDK call answered by a plain node:http server) in the same run.
// Usage: npm run build && node bench/sns/run.js [--messages 300] [--gap-ms 20] [--seconds 5]
// Its throughput rows come from one client process; bench/sns/throughput.js drives Publish from several.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CreateTopicCommand,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startServer } from '../../dist/api/index.js';
import { createEngine } from '../../dist/engine.js';
import { percentiles, rate } from '../invoke/stats.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '300' },
    'gap-ms': { type: 'string', default: '20' },
    seconds: { type: 'string', default: '5' },
  },
});
const MESSAGES = Number(values.messages);
const GAP_MS = Number(values['gap-ms']);
const THROUGHPUT_MS = Number(values.seconds) * 1000;
const AWS = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 3 };

const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-bench-sns-'));
const codeDir = mkdtempSync(join(tmpdir(), 'lambdata-bench-sns-fn-'));
writeFileSync(
  join(codeDir, 'index.mjs'),
  "export const handler = async (event) => { for (const r of event.Records) console.log('got ' + r.Sns.Message); };\n",
);

const engine = await createEngine({ dataDir });
const server = await startServer(engine, { port: 0 });
const bare = await bareServer();
const sns = new SNSClient({ ...AWS, endpoint: server.url });
const sqs = new SQSClient({ ...AWS, endpoint: server.url });
const bareSns = new SNSClient({ ...AWS, endpoint: bare.url });
try {
  await engine.functions.create({ name: 'sns-bench', handler: 'index.handler', code: { dir: codeDir } });
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'bench' }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'sns-bench' }));
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: 'lambda',
      Endpoint: 'arn:aws:lambda:us-east-1:000000000000:function:sns-bench',
    }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: 'sqs',
      Endpoint: 'arn:aws:sqs:us-east-1:000000000000:sns-bench',
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );

  // Latency: one publish at a time on an idle engine; a long-polling receiver watches the queue.
  const invokedAt = new Map();
  const visibleAt = new Map();
  const waiters = new Map();
  const settle = (id) => {
    if (invokedAt.has(id) && visibleAt.has(id)) waiters.get(id)?.();
  };
  engine.logs.lines.subscribe(({ line }) => {
    const m = /got (\S+)/.exec(line);
    if (!m) return;
    invokedAt.set(m[1], performance.now());
    settle(m[1]);
  });
  let receiving = true;
  const receiver = (async () => {
    while (receiving) {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }),
      );
      const now = performance.now();
      for (const m of out.Messages ?? []) {
        visibleAt.set(m.Body, now);
        settle(m.Body);
      }
      if (out.Messages?.length) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl,
            Entries: out.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      }
    }
  })();
  const publishOne = async (id) => {
    const done = new Promise((resolve) => waiters.set(id, resolve));
    const start = performance.now();
    await sns.send(new PublishCommand({ TopicArn, Message: id }));
    const acked = performance.now();
    await done;
    waiters.delete(id);
    return { ack: acked - start, invoked: invokedAt.get(id) - start, visible: visibleAt.get(id) - start };
  };
  for (let i = 0; i < 10; i++) await publishOne(`warm-${i}`);
  const ack = [];
  const invoked = [];
  const visible = [];
  for (let i = 0; i < MESSAGES; i++) {
    await new Promise((r) => setTimeout(r, GAP_MS));
    const r = await publishOne(`m${i}`);
    ack.push(r.ack);
    invoked.push(r.invoked);
    visible.push(r.visible);
  }
  const floor = [];
  for (let i = 0; i < MESSAGES; i++) {
    const start = performance.now();
    await bareSns.send(new PublishCommand({ TopicArn, Message: `m${i}` }));
    floor.push(performance.now() - start);
  }
  receiving = false;
  await receiver;

  const fmt = (p) => `p50 ${p.p50.toFixed(2)} ms  p99 ${p.p99.toFixed(2)} ms  max ${p.max.toFixed(2)} ms`;
  console.log(`latency: ${MESSAGES} publishes, ${GAP_MS} ms apart (idle engine), one function + one queue subscribed`);
  console.log(`  bare HTTP round trip (SDK Publish → node:http): ${fmt(percentiles(floor))}`);
  console.log(`  Publish acknowledged:                          ${fmt(percentiles(ack))}`);
  console.log(`  Publish → function invoked (its log line):     ${fmt(percentiles(invoked))}`);
  console.log(`  Publish → message received from the queue:     ${fmt(percentiles(visible))}`);

  // Throughput: publish acknowledgements per second from concurrent SDK callers.
  const drained = () => engine.invocations.deliveries.depth({ trigger: 'sns' }) === 0;
  const rows = [];
  for (const concurrency of [8, 32]) {
    const lambdata = await rate(
      (i) => sns.send(new PublishCommand({ TopicArn, Message: `t${i}` })),
      concurrency,
      THROUGHPUT_MS,
    );
    const floorRate = await rate(
      (i) => bareSns.send(new PublishCommand({ TopicArn, Message: `t${i}` })),
      concurrency,
      THROUGHPUT_MS,
    );
    const batch = await rate(
      (i) =>
        sns.send(
          new PublishBatchCommand({
            TopicArn,
            PublishBatchRequestEntries: Array.from({ length: 10 }, (_, j) => ({
              Id: String(j),
              Message: `b${i}-${j}`,
            })),
          }),
        ),
      concurrency,
      THROUGHPUT_MS,
    );
    rows.push({ concurrency, publish: lambdata, floor: floorRate, batchMessages: batch * 10 });
    console.log(
      `throughput, concurrency ${concurrency}: Publish ${Math.round(lambdata)}/s  (bare HTTP ${Math.round(floorRate)}/s)   PublishBatch ${Math.round(batch * 10)} messages/s`,
    );
    const drainStart = performance.now();
    while (!drained()) await new Promise((r) => setTimeout(r, 50));
    console.log(
      `  function invocations queued by it drained in ${((performance.now() - drainStart) / 1000).toFixed(1)} s`,
    );
    await engine.queues.purge('sns-bench');
  }
  const libraryRate = await rate(
    async (i) => engine.topicPublisher.publish({ topicArn: TopicArn, message: `l${i}` }),
    1,
    THROUGHPUT_MS,
  );
  console.log(`library (engine.topicPublisher.publish, no HTTP): ${Math.round(libraryRate)} publishes/s`);
  console.log(
    JSON.stringify({
      bench: 'sns',
      floor: percentiles(floor),
      ack: percentiles(ack),
      invoked: percentiles(invoked),
      visible: percentiles(visible),
      throughput: rows,
      libraryRate,
    }),
  );
} finally {
  sns.destroy();
  sqs.destroy();
  bareSns.destroy();
  bare.server.close();
  await server.close();
  await engine.close();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(codeDir, { recursive: true, force: true });
}

/** A plain node:http server answering every request with a PublishResponse, the floor for the SDK's Publish. */
async function bareServer() {
  const body =
    '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>00000000-0000-0000-0000-000000000000</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>';
  const http = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/xml', 'content-length': body.length }).end(body));
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { server: http, url: `http://127.0.0.1:${http.address().port}` };
}
