import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { artifactDir } from '../helpers/artifacts.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { deployRecorder, recorded } from '../helpers/recorder.js';
import { WRITES_HOST_FILES } from '../helpers/sandbox.js';
import { eventually } from '../helpers/wait.js';

describe('SQS → function mapping', () => {
  let dataDir: string;
  let out: ReturnType<typeof artifactDir>;
  let engine: Engine;
  let server: RunningServer;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lambdata-esm-sqs-'));
    out = artifactDir('esm-sqs-');
    engine = await createEngine({ dataDir, runtime: WRITES_HOST_FILES });
    server = await startServer(engine, { port: 0 });
  });

  afterAll(async () => {
    await server?.close();
    await engine?.close();
    out?.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('deletes processed messages and leaves reported failures to redrive into the DLQ', async () => {
    const sqs = new SQSClient({ ...AWS_TEST_CONFIG, endpoint: server.url });
    const lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: server.url });
    try {
      const dir = join(out.path, 'jobs');
      mkdirSync(dir);
      await deployRecorder(engine, 'jobs', dir, { REPORT_ALWAYS: 'bad' });
      const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'jobs-dlq' }));
      const queue = await sqs.send(
        new CreateQueueCommand({
          QueueName: 'jobs',
          Attributes: {
            // Longer than a cold run takes on a loaded CI machine: a batch still running when its
            // messages reappear is received again, and two slow rounds would send all three to the DLQ.
            VisibilityTimeout: '4',
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: engine.queues.queueArn('jobs-dlq'),
              maxReceiveCount: 2,
            }),
          },
        }),
      );
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.QueueUrl,
          Entries: ['m1', 'bad', 'm3'].map((body, i) => ({
            Id: String(i),
            MessageBody: body,
            MessageAttributes: { kind: { DataType: 'String', StringValue: 'job' } },
          })),
        }),
      );
      const mapping = await lambda.send(
        new CreateEventSourceMappingCommand({
          FunctionName: 'jobs',
          EventSourceArn: engine.queues.queueArn('jobs'),
          BatchSize: 10,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        }),
      );
      expect(mapping.BatchSize).toBe(10);
      // The bad message is received twice (visibility timeout 4 s), then moved to the DLQ.
      await eventually(() => engine.queues.depth('jobs-dlq').visible === 1, 40_000);
      const depth = engine.queues.depth('jobs');
      expect(depth.visible + depth.inFlight + depth.delayed).toBe(0);
      const calls = recorded(dir);
      const payloads = calls.flatMap((c) => c.payloads);
      expect(payloads.filter((p) => p === 'm1')).toHaveLength(1);
      expect(payloads.filter((p) => p === 'm3')).toHaveLength(1);
      expect(payloads.filter((p) => p === 'bad')).toHaveLength(2);
      const record = calls[0]?.event.Records[0];
      expect(record).toEqual({
        messageId: expect.any(String),
        receiptHandle: expect.any(String),
        body: 'm1',
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: expect.stringMatching(/^\d+$/),
          SenderId: expect.any(String),
          ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
        },
        messageAttributes: {
          kind: { stringValue: 'job', stringListValues: [], binaryListValues: [], dataType: 'String' },
        },
        md5OfBody: createHash('md5').update('m1').digest('hex'),
        md5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
        eventSource: 'aws:sqs',
        eventSourceARN: engine.queues.queueArn('jobs'),
        awsRegion: 'us-east-1',
      });
      const [dead] = await engine.queues.receive('jobs-dlq');
      expect(dead?.body).toBe('bad');
      expect(dlq.QueueUrl).toBeDefined();
    } finally {
      sqs.destroy();
      lambda.destroy();
    }
  });
});
