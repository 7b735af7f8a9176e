// SNS Publish throughput with one function and one queue subscribed (goal ≥ 10,000 messages/s), driven
// from several client processes (one SDK process tops out near a bare server's rate), beside a bare
// node:http server (bare-sns.mjs) driven the same way in the same run; prints the ratio. `lambdata serve`
// and the floor each run in their own process, as users run them.
// "Delivered" counts until every message is in the queue and the function has run for each (the
// engine's async-invoke queue empty), not only acknowledged.
// Usage: npm run build && node bench/sns/throughput.js [--processes 4] [--concurrency 16] [--seconds 10]
//   [--drain-seconds 120] [--modes publish,batch] [--profile DIR] (serve's CPU profile, written when it stops)
//   [--hold-delivery] (the function's reserved concurrency is 0 while the clients publish, so serve only
//   acknowledges; it is lifted when they stop and the backlog is timed as it drains)
import { fork } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  CreateFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
} from '@aws-sdk/client-lambda';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { zipSync } from 'fflate';
import { processCpuMicros, startBareServer, startServe, treeCpuMicros } from '../invoke/serve-process.js';
import { here } from '../invoke/stats.js';

const { values } = parseArgs({
  options: {
    processes: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    'drain-seconds': { type: 'string', default: '120' },
    modes: { type: 'string', default: 'publish,batch' },
    profile: { type: 'string' },
    'hold-delivery': { type: 'boolean', default: false },
  },
});
const PROCESSES = Number(values.processes);
const CONCURRENCY = Number(values.concurrency);
const MS = Number(values.seconds) * 1000;
const DRAIN_MS = Number(values['drain-seconds']) * 1000;
const AWS = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const ACCOUNT = '000000000000';
const HANDLER = 'export const handler = async (event) => ({ got: event.Records.length });\n';

const MODES = values.modes.split(',');
const HOLD = values['hold-delivery'];
const serve = await startServe({
  nodeArgs: values.profile ? ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] : [],
});
const bare = await startBareServer(join(here, '../sns/bare-sns.mjs'));
const sns = new SNSClient({ ...AWS, endpoint: serve.url });
const sqs = new SQSClient({ ...AWS, endpoint: serve.url });
const lambda = new LambdaClient({ ...AWS, endpoint: serve.url });
try {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'sns-bench',
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: `arn:aws:iam::${ACCOUNT}:role/bench`,
      Code: { ZipFile: zipSync({ 'index.mjs': Buffer.from(HANDLER) }) },
    }),
  );
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'bench' }));
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'sns-bench' }));
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: 'lambda',
      Endpoint: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:sns-bench`,
    }),
  );
  await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: 'sqs',
      Endpoint: `arn:aws:sqs:us-east-1:${ACCOUNT}:sns-bench`,
      Attributes: { RawMessageDelivery: 'true' },
    }),
  );
  console.log(
    `SNS throughput: ${PROCESSES} client processes × ${CONCURRENCY} callers, ${MS / 1000} s per row, one function + one queue subscribed` +
      (HOLD ? ', the function held at concurrency 0 while they publish' : ''),
  );
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (${availableParallelism()} cores)`,
  );
  const rows = [];
  for (const mode of MODES) {
    const floor = await drive(bare.url, TopicArn, mode);
    const cpuBefore = { server: processCpuMicros(serve.pid), tree: treeCpuMicros(serve.pid, { reaped: true }) };
    if (HOLD) {
      await lambda.send(
        new PutFunctionConcurrencyCommand({ FunctionName: 'sns-bench', ReservedConcurrentExecutions: 0 }),
      );
    }
    const lambdata = await drive(serve.url, TopicArn, mode);
    const publishCpu = processCpuMicros(serve.pid) - cpuBefore.server;
    if (HOLD) await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'sns-bench' }));
    const drained = await drain(QueueUrl);
    const serverCpu = processCpuMicros(serve.pid) - cpuBefore.server;
    const treeCpu = treeCpuMicros(serve.pid, { reaped: true }) - cpuBefore.tree;
    const delivered = drained.seconds === null ? null : lambdata.messages / (lambdata.seconds + drained.seconds);
    const row = {
      mode,
      lambdata,
      floor,
      ratio: lambdata.perSecond / floor.perSecond,
      drained,
      delivered,
      deliveredRatio: delivered === null ? null : delivered / floor.perSecond,
      cpuMicrosPerMessage: {
        server: serverCpu / lambdata.messages,
        serverWhilePublishing: publishCpu / lambdata.messages,
        environments: (treeCpu - serverCpu) / lambdata.messages,
      },
      load: loadavg()[0],
    };
    rows.push(row);
    console.log(
      `${mode === 'batch' ? 'PublishBatch (10/call)' : 'Publish'}: lambdata ${Math.round(lambdata.perSecond)} messages/s acknowledged` +
        ` (${lambdata.failures} failed calls), ${delivered === null ? 'not all delivered within the limit' : `${Math.round(delivered)}/s delivered`}` +
        `  bare HTTP ${Math.round(floor.perSecond)} messages/s  ratio ${row.ratio.toFixed(2)} acknowledged` +
        `${delivered === null ? '' : `, ${row.deliveredRatio.toFixed(2)} delivered`}` +
        `  | queue depth ${drained.queued}, invocations drained ${drained.seconds === null ? 'not within the limit' : `in ${drained.seconds.toFixed(1)} s after`}` +
        `  | serve CPU per message ${Math.round(row.cpuMicrosPerMessage.server)} µs (${Math.round(row.cpuMicrosPerMessage.serverWhilePublishing)} µs while publishing) + environments ${Math.round(row.cpuMicrosPerMessage.environments)} µs`,
    );
  }
  console.log(
    `load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    JSON.stringify({ bench: 'sns-throughput', processes: PROCESSES, concurrency: CONCURRENCY, hold: HOLD, rows }),
  );
} finally {
  sns.destroy();
  sqs.destroy();
  lambda.destroy();
  await bare.stop();
  await serve.stop();
}

/** Runs the client processes against `endpoint` together; messages acknowledged per second over them all. */
async function drive(endpoint, topicArn, mode) {
  const children = Array.from({ length: PROCESSES }, () =>
    fork(join(here, '../sns/publisher.mjs'), [endpoint, topicArn, mode, String(CONCURRENCY), String(MS)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // The SDK warns about the Node version once per process: one line is enough.
      execArgv: ['--no-warnings'],
    }),
  );
  const message = (child, key) =>
    new Promise((resolve, reject) => {
      const onMessage = (m) => {
        if (m[key] === undefined) return;
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`publisher exited with ${code}`)));
    });
  await Promise.all(children.map((child) => message(child, 'ready')));
  const started = performance.now();
  const results = Promise.all(children.map((child) => message(child, 'messages')));
  for (const child of children) child.send('go');
  const answers = await results;
  const seconds = (performance.now() - started) / 1000;
  const messages = answers.reduce((sum, a) => sum + a.messages, 0);
  return {
    perSecond: messages / seconds,
    messages,
    seconds,
    failures: answers.reduce((sum, a) => sum + a.failures, 0),
  };
}

/** Waits (up to the limit) until the function's queued invocations ran; empties the queue. */
async function drain(queueUrl) {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
  const start = performance.now();
  while (performance.now() - start < DRAIN_MS) {
    const res = await fetch(`${serve.url}/_lambdata/concurrency`);
    const { queueDepth, inUse } = await res.json();
    if (queueDepth === 0 && inUse === 0) {
      return {
        queued: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
        seconds: (performance.now() - start) / 1000,
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { queued: Number(Attributes?.ApproximateNumberOfMessages ?? 0), seconds: null };
}
