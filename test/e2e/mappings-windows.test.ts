import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { artifactDir } from '../helpers/artifacts.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { deployRecorder, recorded } from '../helpers/recorder.js';
import { WRITES_HOST_FILES } from '../helpers/sandbox.js';
import { eventually } from '../helpers/wait.js';

describe('Kinesis mappings with tumbling windows', () => {
  let dataDir: string;
  let out: ReturnType<typeof artifactDir>;
  let engine: Engine;
  let server: RunningServer;
  let lambda: LambdaClient;
  let sqs: SQSClient;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lambdata-windows-'));
    out = artifactDir('windows-');
    engine = await createEngine({ dataDir, runtime: WRITES_HOST_FILES });
    server = await startServer(engine, { port: 0 });
    lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: server.url });
    sqs = new SQSClient({ ...AWS_TEST_CONFIG, endpoint: server.url });
  });

  afterAll(async () => {
    lambda?.destroy();
    sqs?.destroy();
    await server?.close();
    await engine?.close();
    out?.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('passes state between a window’s batches and ends each window with a final invocation', async () => {
    const dir = join(out.path, 'sum');
    mkdirSync(dir, { recursive: true });
    await deployRecorder(engine, 'sum', dir);
    engine.streams.createStream('readings', { shardCount: 1 });
    const arn = engine.streams.streamArn('readings');
    const created = await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'sum',
        EventSourceArn: arn,
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 2,
        TumblingWindowInSeconds: 1,
      }),
    );
    expect(created.TumblingWindowInSeconds).toBe(1);
    const values = [1, 2, 3, 4, 5];
    for (const v of values) engine.streams.putRecord('readings', { data: Buffer.from(String(v)), partitionKey: 'p' });
    const finals = () => recorded(dir).filter((r) => r.event.isFinalInvokeForWindow === true);
    // Every record's window ends within about a second; each ends with one final invocation.
    await eventually(() => {
      const windows = new Set(
        recorded(dir)
          .filter((r) => r.event.Records.length > 0)
          .map((r) => (r.event.window as { start: string }).start),
      );
      return windows.size > 0 && finals().length === windows.size;
    }, 15_000);
    const batches = recorded(dir).filter((r) => r.event.Records.length > 0);
    expect(batches.flatMap((r) => r.payloads)).toEqual(values.map(String));
    for (const batch of batches) {
      const window = batch.event.window as { start: string; end: string };
      expect(Date.parse(window.end) - Date.parse(window.start)).toBe(1000);
      expect(Date.parse(window.start) % 1000).toBe(0);
      for (const record of batch.event.Records) {
        const arrival = record.kinesis.approximateArrivalTimestamp * 1000;
        expect(arrival).toBeGreaterThanOrEqual(Date.parse(window.start));
        expect(arrival).toBeLessThan(Date.parse(window.end));
      }
      expect(batch.event).toMatchObject({ shardId: 'shardId-000000000000', eventSourceARN: arn });
    }
    // The final state of each window is the sum of exactly its records.
    const total = finals().reduce((sum, f) => {
      const start = (f.event.window as { start: string }).start;
      const mine = batches.filter((b) => (b.event.window as { start: string }).start === start);
      const expected = mine.flatMap((b) => b.payloads).reduce((a, p) => a + Number(p), 0);
      expect(f.event.Records).toEqual([]);
      expect(f.event.state).toEqual({ sum: expected });
      expect(f.event.isWindowTerminatedEarly).toBe(false);
      return sum + expected;
    }, 0);
    expect(total).toBe(15);
    const got = await lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID }));
    expect(got.TumblingWindowInSeconds).toBe(1);
  });

  it('refuses windows outside 0–900 seconds and on queues, in Lambda’s error shape', async () => {
    const dir = join(out.path, 'bad');
    mkdirSync(dir, { recursive: true });
    await deployRecorder(engine, 'bad', dir);
    engine.streams.createStream('bad-stream', { shardCount: 1 });
    await expect(
      lambda.send(
        new CreateEventSourceMappingCommand({
          FunctionName: 'bad',
          EventSourceArn: engine.streams.streamArn('bad-stream'),
          StartingPosition: 'LATEST',
          TumblingWindowInSeconds: 901,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'window-q' }));
    const attrs = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }),
    );
    await expect(
      lambda.send(
        new CreateEventSourceMappingCommand({
          FunctionName: 'bad',
          EventSourceArn: attrs.Attributes?.QueueArn,
          TumblingWindowInSeconds: 30,
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    const ok = await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'bad',
        EventSourceArn: engine.streams.streamArn('bad-stream'),
        StartingPosition: 'LATEST',
      }),
    );
    expect(ok.TumblingWindowInSeconds).toBe(0);
    const updated = await lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: ok.UUID, TumblingWindowInSeconds: 60 }),
    );
    expect(updated.TumblingWindowInSeconds).toBe(60);
  });
});
