// One client process of the SNS throughput benchmark: `concurrency` SDK callers in a loop of Publish
// (or PublishBatch of 10) for `ms`, started by the parent's `go` message so every process starts
// together; answers the number of messages acknowledged.
// argv: <endpoint> <topicArn> <publish|batch> <concurrency> <ms>
import { Agent } from 'node:http';
import { PublishBatchCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';

const [endpoint, TopicArn, mode, concurrencyText, msText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const ms = Number(msText);
const sns = new SNSClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
  requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets: concurrency }) },
});
const tag = `p${process.pid}`;
const send =
  mode === 'batch'
    ? (i) =>
        sns.send(
          new PublishBatchCommand({
            TopicArn,
            PublishBatchRequestEntries: Array.from({ length: 10 }, (_, j) => ({
              Id: String(j),
              Message: `${tag}-${i}-${j}`,
            })),
          }),
        )
    : (i) => sns.send(new PublishCommand({ TopicArn, Message: `${tag}-${i}` }));
const perCall = mode === 'batch' ? 10 : 1;

// Warm the connections before the clock starts.
await Promise.all(Array.from({ length: concurrency }, (_, i) => send(-1 - i)));
process.send({ ready: true });
process.once('message', async () => {
  let calls = 0;
  let failures = 0;
  const deadline = performance.now() + ms;
  const caller = async () => {
    while (performance.now() < deadline) {
      try {
        await send(calls);
        calls++;
      } catch {
        failures++; // counted, not retried: a refused publish is not throughput
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  process.send({ messages: calls * perCall, failures });
  sns.destroy();
  process.exit(0);
});
