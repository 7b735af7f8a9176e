import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { artifactDir } from '../helpers/artifacts.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { deployRecorder, recorded } from '../helpers/recorder.js';
import { WRITES_HOST_FILES } from '../helpers/sandbox.js';
import { eventually } from '../helpers/wait.js';

describe('event source mappings from streams and tables', () => {
  let dataDir: string;
  let out: ReturnType<typeof artifactDir>;
  let engine: Engine;
  let server: RunningServer;
  let lambda: LambdaClient;

  const open = async () => {
    engine = await createEngine({ dataDir, runtime: WRITES_HOST_FILES });
    server = await startServer(engine, { port: 0 });
    lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: server.url });
  };
  const close = async () => {
    lambda?.destroy();
    await server?.close();
    await engine?.close();
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'lambdata-esm-'));
    out = artifactDir('esm-');
    await open();
  });

  afterAll(async () => {
    await close();
    out?.remove();
    await rm(dataDir, { recursive: true, force: true });
  });

  const fnDir = (name: string) => {
    const dir = join(out.path, name);
    return import('node:fs').then((fs) => {
      fs.mkdirSync(dir, { recursive: true });
      return dir;
    });
  };
  const put = (stream: string, payloads: string[], key = (i: number) => `k${i % 3}`) =>
    payloads.map(
      (p, i) => engine.streams.putRecord(stream, { data: Buffer.from(p), partitionKey: key(i) }).sequenceNumber,
    );
  const delivered = (dir: string) =>
    recorded(dir)
      .filter((r) => r.ok)
      .flatMap((r) => r.payloads);

  it('delivers Kinesis records in the exact AWS shape, in shard order, and shows the mapping', async () => {
    const dir = await fnDir('shape');
    await deployRecorder(engine, 'shape', dir);
    engine.streams.createStream('clicks', { shardCount: 1 });
    const arn = engine.streams.streamArn('clicks');
    const created = await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'shape',
        EventSourceArn: arn,
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 4,
      }),
    );
    expect(created.UUID).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.State).toBe('Creating');
    const payloads = Array.from({ length: 10 }, (_, i) => `r${i}`);
    const seqs = put('clicks', payloads);
    await eventually(() => delivered(dir).length >= 10);
    expect(delivered(dir)).toEqual(payloads);
    const first = recorded(dir)[0]?.event.Records[0];
    expect(first).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'k0',
        sequenceNumber: seqs[0],
        data: Buffer.from('r0').toString('base64'),
        approximateArrivalTimestamp: expect.any(Number),
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${seqs[0]}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: expect.stringMatching(/^arn:aws:iam::/),
      awsRegion: 'us-east-1',
      eventSourceARN: arn,
    });
    expect(first?.kinesis.approximateArrivalTimestamp).toBeCloseTo(Date.now() / 1000, -2);
    expect(recorded(dir).every((r) => r.event.Records.length <= 4)).toBe(true);
    const got = await lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID }));
    expect(got).toMatchObject({
      State: 'Enabled',
      BatchSize: 4,
      EventSourceArn: arn,
      LastProcessingResult: 'OK',
      StartingPosition: 'TRIM_HORIZON',
    });
    const listed = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'shape' }));
    expect(listed.EventSourceMappings?.map((m) => m.UUID)).toEqual([created.UUID]);
    // Disabled at once: records put now wait until it is enabled again.
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID, Enabled: false }));
    put('clicks', ['while-off']);
    await new Promise((r) => setTimeout(r, 300));
    expect(delivered(dir)).not.toContain('while-off');
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID, Enabled: true }));
    await eventually(() => delivered(dir).includes('while-off'));
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: created.UUID }));
    await expect(lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('bisects around a poison record, keeps order, and sends the failure to the on-failure queue', async () => {
    const dir = await fnDir('poison');
    await deployRecorder(engine, 'poison', dir, { POISON: 'bad' });
    engine.queues.createQueue('poison-failures');
    engine.streams.createStream('orders', { shardCount: 1 });
    const payloads = ['o0', 'o1', 'o2', 'o3', 'o4', 'bad', 'o6', 'o7'];
    const seqs = put('orders', payloads);
    await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'poison',
        EventSourceArn: engine.streams.streamArn('orders'),
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 8,
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 1,
        DestinationConfig: { OnFailure: { Destination: engine.queues.queueArn('poison-failures') } },
      }),
    );
    await eventually(() => engine.queues.depth('poison-failures').visible > 0);
    const [message] = await engine.queues.receive('poison-failures', { maxMessages: 10 });
    const record = JSON.parse(message?.body ?? '{}');
    expect(record.requestContext.condition).toBe('RetryAttemptsExhausted');
    expect(record.KinesisBatchInfo).toMatchObject({
      shardId: 'shardId-000000000000',
      startSequenceNumber: seqs[5],
      endSequenceNumber: seqs[5],
      batchSize: 1,
      streamArn: engine.streams.streamArn('orders'),
    });
    await eventually(() => delivered(dir).includes('o7'));
    expect(delivered(dir)).toEqual(payloads.filter((p) => p !== 'bad'));
  });

  it('checkpoints before the lowest reported batch item failure and retries from there', async () => {
    const dir = await fnDir('partial');
    await deployRecorder(engine, 'partial', dir, { REPORT_ONCE: 'p3' });
    engine.streams.createStream('partial', { shardCount: 1 });
    put('partial', ['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
    await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'partial',
        EventSourceArn: engine.streams.streamArn('partial'),
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      }),
    );
    await eventually(() => recorded(dir).length >= 2);
    const calls = recorded(dir).map((r) => r.payloads);
    expect(calls).toEqual([
      ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'],
      ['p3', 'p4', 'p5'],
    ]);
  });

  it('resumes from its checkpoint after a restart, without loss or reordering', async () => {
    const dir = await fnDir('resume');
    await deployRecorder(engine, 'resume', dir);
    engine.streams.createStream('resume', { shardCount: 2 });
    const mapping = await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'resume',
        EventSourceArn: engine.streams.streamArn('resume'),
        StartingPosition: 'LATEST',
        BatchSize: 3,
      }),
    );
    const firstHalf = Array.from({ length: 12 }, (_, i) => `a${i}`);
    put('resume', firstHalf, (i) => `key${i % 4}`);
    await eventually(() => delivered(dir).length >= 12);
    await close();
    await open();
    const secondHalf = Array.from({ length: 12 }, (_, i) => `b${i}`);
    put('resume', secondHalf, (i) => `key${i % 4}`);
    await eventually(() => delivered(dir).length >= 24);
    await new Promise((r) => setTimeout(r, 200));
    const all = delivered(dir);
    expect([...all].sort()).toEqual([...firstHalf, ...secondHalf].sort());
    // Per partition key, records arrive in the order they were put.
    for (let k = 0; k < 4; k++) {
      const expected = [...firstHalf, ...secondHalf].filter((_, i) => (i % 12) % 4 === k);
      expect(all.filter((p) => expected.includes(p))).toEqual(expected);
    }
    const view = engine.mappings.view(mapping.UUID as string);
    expect(view.state).toBe('Enabled');
  });

  it('keeps per-key order with ParallelizationFactor and drains parent shards before their children', async () => {
    const dir = await fnDir('fanout');
    await deployRecorder(engine, 'fanout', dir);
    engine.streams.createStream('fanout', { shardCount: 1 });
    await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'fanout',
        EventSourceArn: engine.streams.streamArn('fanout'),
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 2,
        ParallelizationFactor: 3,
      }),
    );
    const keyOf = (i: number) => `user${i % 5}`;
    const before = Array.from({ length: 20 }, (_, i) => `x${i}`);
    put('fanout', before, keyOf);
    engine.streams.updateShardCount('fanout', 2);
    const after = Array.from({ length: 20 }, (_, i) => `y${i}`);
    put('fanout', after, keyOf);
    await eventually(() => delivered(dir).length >= 40);
    const all = delivered(dir);
    expect([...all].sort()).toEqual([...before, ...after].sort());
    const sent = [...before, ...after];
    for (let k = 0; k < 5; k++) {
      const expected = sent.filter((_, i) => (i % 20) % 5 === k);
      expect(all.filter((p) => expected.includes(p))).toEqual(expected);
    }
    expect(recorded(dir).every((r) => r.event.Records.length <= 2)).toBe(true);
  });

  it('delivers table changes in the DynamoDB stream record shape', async () => {
    const dir = await fnDir('table');
    await deployRecorder(engine, 'table', dir);
    engine.tables.createTable({
      tableName: 'users',
      keySchema: [{ attributeName: 'id', keyType: 'HASH' }],
      attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }],
      streamSpecification: { streamEnabled: true, streamViewType: 'NEW_AND_OLD_IMAGES' },
    });
    const streamArn = engine.tables.streamArn('users') as string;
    await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'table',
        EventSourceArn: streamArn,
        StartingPosition: 'LATEST',
      }),
    );
    engine.tables.putItem('users', { id: { S: 'u1' }, name: { S: 'Ada' } });
    engine.tables.putItem('users', { id: { S: 'u1' }, name: { S: 'Grace' } });
    engine.tables.deleteItem('users', { id: { S: 'u1' } });
    await eventually(() => recorded(dir).flatMap((r) => r.event.Records).length >= 3);
    const records = recorded(dir).flatMap((r) => r.event.Records);
    expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    expect(records[1]).toEqual({
      eventID: expect.stringMatching(/^[0-9a-f]+$/),
      eventName: 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        ApproximateCreationDateTime: expect.any(Number),
        Keys: { id: { S: 'u1' } },
        NewImage: { id: { S: 'u1' }, name: { S: 'Grace' } },
        OldImage: { id: { S: 'u1' }, name: { S: 'Ada' } },
        SequenceNumber: expect.any(String),
        SizeBytes: expect.any(Number),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: streamArn,
    });
  });
});
