// How fast `lambdata serve`, in a process of its own as users run it, delivers a burst of SNS
// messages: one function (async invoke) and one queue (raw delivery) subscribed; `--messages`
// published at once with PublishBatch (10 per call, `--concurrency` calls in flight) through the AWS
// SDK, then timed until every message is in the queue and the function has run for each. Prints
// acceptance and delivery rates, cold starts and serve's CPU per message (serve + environments).
// With --hold, the function's reserved concurrency is 0 while the burst is published (so one client
// process's publishing rate does not pace the deliveries) and the backlog is timed from its release.
// Usage: npm run build && node bench/sns/drain.js [--messages 5000] [--concurrency 32] [--hold]
import { Agent } from 'node:http';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  CreateFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import {
  CreateTopicCommand,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { zipSync } from 'fflate';
import { startServe, treeCpuMicros } from '../invoke/serve-process.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '32' },
    hold: { type: 'boolean', default: false },
  },
});
const MESSAGES = Number(values.messages);
const CONCURRENCY = Number(values.concurrency);
const ACCOUNT = '000000000000';
const HANDLER = 'export const handler = async (event) => ({ got: event.Records.length });\n';
const AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
  requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }) },
};

const serve = await startServe();
const sns = new SNSClient({ ...AWS, endpoint: serve.url });
const sqs = new SQSClient({ ...AWS, endpoint: serve.url });
const lambda = new LambdaClient({ ...AWS, endpoint: serve.url });
let queueUrl;
try {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'sns-drain',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: `arn:aws:iam::${ACCOUNT}:role/bench`,
      Code: { ZipFile: zipSync({ 'index.mjs': Buffer.from(HANDLER) }) },
    }),
  );
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'drain' }));
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'sns-drain' }))).QueueUrl;
  for (const [Protocol, Endpoint, Attributes] of [
    ['lambda', `arn:aws:lambda:us-east-1:${ACCOUNT}:function:sns-drain`, undefined],
    ['sqs', `arn:aws:sqs:us-east-1:${ACCOUNT}:sns-drain`, { RawMessageDelivery: 'true' }],
  ])
    await sns.send(new SubscribeCommand({ TopicArn, Protocol, Endpoint, Attributes }));
  // Warm one environment so the figure is not one cold start.
  await sns.send(new PublishCommand({ TopicArn, Message: 'warm' }));
  await drained();
  const load = loadavg()[0];
  const cpuBefore = treeCpuMicros(serve.pid, { reaped: true });
  const recordsBefore = (await invocations()).length;
  const held = { FunctionName: 'sns-drain' };
  if (values.hold) await lambda.send(new PutFunctionConcurrencyCommand({ ...held, ReservedConcurrentExecutions: 0 }));
  const started = performance.now();
  let next = 0;
  const publisher = async () => {
    for (let i = next; i < MESSAGES; i = next) {
      next += 10;
      const entries = Array.from({ length: Math.min(10, MESSAGES - i) }, (_, j) => ({
        Id: String(j),
        Message: `m-${i + j}`,
      }));
      const out = await sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: entries }));
      if (out.Failed?.length) throw new Error(`PublishBatch failed for ${out.Failed.length} entries`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, publisher));
  const accepted = (performance.now() - started) / 1000;
  const released = performance.now();
  if (values.hold) await lambda.send(new DeleteFunctionConcurrencyCommand(held));
  await drained();
  const backlog = (performance.now() - released) / 1000;
  await queued(MESSAGES + 1);
  const delivered = (performance.now() - started) / 1000;
  const cpu = treeCpuMicros(serve.pid, { reaped: true }) - cpuBefore;
  const after = await invocations();
  const ran = after.length - recordsBefore;
  const cold = after.slice(0, ran).filter((r) => r.initDurationMs !== null).length;
  console.log(
    `${MESSAGES} messages through lambdata serve (load ${load.toFixed(1)}): accepted in ${accepted.toFixed(2)} s (${Math.round(MESSAGES / accepted)}/s), ` +
      `delivered in ${delivered.toFixed(2)} s (${Math.round(MESSAGES / delivered)}/s); ${ran} invocations, ${cold} cold starts; ` +
      `CPU ${Math.round(cpu / MESSAGES)} µs per message (serve + environments); queue holds ${await queued(0)} (1 warm-up)` +
      (values.hold ? `; the held backlog ran in ${backlog.toFixed(2)} s (${Math.round(MESSAGES / backlog)}/s)` : ''),
  );
  console.log(
    JSON.stringify({
      bench: 'sns-drain',
      messages: MESSAGES,
      acceptedPerSecond: MESSAGES / accepted,
      deliveredPerSecond: MESSAGES / delivered,
      ...(values.hold ? { backlogPerSecond: MESSAGES / backlog } : {}),
      invocations: ran,
      coldStarts: cold,
      cpuMicrosPerMessage: cpu / MESSAGES,
      load,
    }),
  );
} finally {
  sns.destroy();
  sqs.destroy();
  lambda.destroy();
  await serve.stop();
}

/** Resolves once no async invocation is queued or running. */
async function drained() {
  for (;;) {
    const { queueDepth, inUse } = await (await fetch(`${serve.url}/_lambdata/concurrency`)).json();
    if (queueDepth === 0 && inUse === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The queue's visible messages, once at least `atLeast` (its deliveries are asynchronous too). */
async function queued(atLeast) {
  for (;;) {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    const visible = Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    if (visible >= atLeast) return visible;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The function's invocation records, newest first. */
async function invocations() {
  const res = await fetch(`${serve.url}/_lambdata/invocations?function=sns-drain&limit=10000`);
  return (await res.json()).invocations;
}
