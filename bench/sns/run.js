// SNS: Publish → subscribed function invoked and → subscribed queue message visible, p50/p99 on an
// idle engine, and Publish throughput with one function and one queue subscribed, each beside the
// bare HTTP round trip (the same SDK call answered by a plain node:http server, bare-sns.mjs) in the
// same run. `lambdata serve` and the floor each run in a process of their own, as users run them;
// "function invoked" is when its log line reaches this process over serve's log stream (SSE), as
// `lambdata logs --follow` sees it.
// Usage: npm run build && node bench/sns/run.js [--messages 300] [--gap-ms 20] [--seconds 5]
// Its throughput rows come from one client process; bench/sns/throughput.js drives Publish from several.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateTopicCommand,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { zipSync } from 'fflate';
import { startBareServer, startServe } from '../invoke/serve-process.js';
import { here, percentiles, rate } from '../invoke/stats.js';

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
const HANDLER =
  "export const handler = async (event) => { for (const r of event.Records) console.log('got ' + r.Sns.Message); };\n";

const serve = await startServe();
const bare = await startBareServer(join(here, '../sns/bare-sns.mjs'));
const sns = new SNSClient({ ...AWS, endpoint: serve.url });
const sqs = new SQSClient({ ...AWS, endpoint: serve.url });
const lambda = new LambdaClient({ ...AWS, endpoint: serve.url });
const bareSns = new SNSClient({ ...AWS, endpoint: bare.url });
const logs = new AbortController();
try {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'sns-bench',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: 'arn:aws:iam::000000000000:role/bench',
      Code: { ZipFile: zipSync({ 'index.mjs': Buffer.from(HANDLER) }) },
    }),
  );
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
  const following = followLogs('sns-bench', logs.signal, (line) => {
    const m = /got (\S+)/.exec(line);
    if (!m) return;
    invokedAt.set(m[1], performance.now());
    settle(m[1]);
  });
  await following.open;
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
  console.log(`  Publish → function invoked (log line via SSE): ${fmt(percentiles(invoked))}`);
  console.log(`  Publish → message received from the queue:     ${fmt(percentiles(visible))}`);

  // Throughput: publish acknowledgements per second from concurrent SDK callers.
  const drained = async () => {
    const { queueDepth, inUse } = await (await fetch(`${serve.url}/_lambdata/concurrency`)).json();
    return queueDepth === 0 && inUse === 0;
  };
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
    while (!(await drained())) await new Promise((r) => setTimeout(r, 50));
    console.log(
      `  function invocations queued by it drained in ${((performance.now() - drainStart) / 1000).toFixed(1)} s`,
    );
    await sqs.send(new PurgeQueueCommand({ QueueUrl }));
  }
  console.log(
    JSON.stringify({
      bench: 'sns',
      floor: percentiles(floor),
      ack: percentiles(ack),
      invoked: percentiles(invoked),
      visible: percentiles(visible),
      throughput: rows,
    }),
  );
} finally {
  logs.abort();
  sns.destroy();
  sqs.destroy();
  lambda.destroy();
  bareSns.destroy();
  await bare.stop();
  await serve.stop();
}

/**
 * Follows a function's log lines over serve's SSE stream (`/_lambdata/functions/:name/logs/stream`),
 * calling `onLine` with each line's text; `open` resolves once the stream answered.
 */
function followLogs(name, signal, onLine) {
  let opened;
  const open = new Promise((resolve) => {
    opened = resolve;
  });
  const done = (async () => {
    const since = Date.now();
    const res = await fetch(`${serve.url}/_lambdata/functions/${name}/logs/stream?since=${since}`, { signal });
    if (!res.ok) throw new Error(`log stream answered ${res.status}`);
    opened();
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of res.body) {
        buffered += decoder.decode(chunk, { stream: true });
        for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
          const event = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = /^data: (.*)$/m.exec(event)?.[1];
          if (data && /^event: log$/m.test(event)) onLine(JSON.parse(data).line ?? '');
        }
      }
    } catch (err) {
      if (!signal.aborted) throw err;
    }
  })();
  done.catch((err) => {
    console.error(`log stream failed: ${err.message}`);
    process.exitCode = 1;
  });
  return { open };
}
