/**
 * Every surface at once against one `lambdata serve`: SNS batches fanning out to a queue and to a
 * function (which forwards into a second queue), synchronous and asynchronous Lambda invokes, Kinesis
 * records, DynamoDB items and S3 objects, all concurrently. Each of these shares the engine's one
 * database; a change that lets two writers race it (a second connection, a transaction opened
 * deferred and upgraded later) shows here as an error answer, a lost delivery or an error line in
 * the server's log, where a test of one surface alone passes.
 */
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, PublishBatchCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { zipFixture } from '../helpers/fixtures.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const ACCOUNT = '000000000000';
/** Rounds of each kind of work; every round of every kind runs concurrently with all the others. */
const ROUNDS = 30;
const BATCH = 10;

let serve: ServeProcess;
const errorLines: string[] = [];
let config: typeof AWS_TEST_CONFIG & { endpoint: string; maxAttempts: number };

beforeAll(async () => {
  serve = await startServe('mixed-load', { onStderr: (line) => errorLines.push(line) });
  config = { ...AWS_TEST_CONFIG, endpoint: serve.url, maxAttempts: 1 };
});
afterAll(async () => {
  await serve?.close();
});

/** Receives and deletes until `count` messages arrived or a minute passed; answers their bodies. */
async function drain(sqs: SQSClient, url: string, count: number): Promise<string[]> {
  const bodies: string[] = [];
  const deadline = Date.now() + 60_000;
  while (bodies.length < count && Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) continue;
    bodies.push(...Messages.map((m: Message) => m.Body ?? ''));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
      }),
    );
  }
  return bodies;
}

describe('every surface under load at once', () => {
  it('answers every call, delivers every message once, and logs no error', async () => {
    const lambda = new LambdaClient(config);
    const sns = new SNSClient(config);
    const sqs = new SQSClient(config);
    const kinesis = new KinesisClient(config);
    const dynamo = new DynamoDBClient(config);
    const s3 = new S3Client({ ...config, forcePathStyle: true });
    try {
      const direct = (await sqs.send(new CreateQueueCommand({ QueueName: 'direct' }))).QueueUrl as string;
      const forwarded = (await sqs.send(new CreateQueueCommand({ QueueName: 'forwarded' }))).QueueUrl as string;
      const role = `arn:aws:iam::${ACCOUNT}:role/lambda-role`;
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'forward',
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: role,
          // Room for cold starts on a loaded machine: a timeout would retry, and deliver twice.
          Timeout: 60,
          Code: { ZipFile: zipFixture('objects/forward-to-queue') },
          Environment: { Variables: { QUEUE_URL: forwarded } },
        }),
      );
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'echo',
          Runtime: 'nodejs20.x',
          Handler: 'index.handler',
          Role: role,
          Timeout: 60,
          Code: { ZipFile: zipFixture('invoke/echo') },
        }),
      );
      const topic = (await sns.send(new CreateTopicCommand({ Name: 'mixed' }))).TopicArn as string;
      await sns.send(
        new SubscribeCommand({
          TopicArn: topic,
          Protocol: 'sqs',
          Endpoint: `arn:aws:sqs:us-east-1:${ACCOUNT}:direct`,
          Attributes: { RawMessageDelivery: 'true' },
        }),
      );
      await sns.send(
        new SubscribeCommand({
          TopicArn: topic,
          Protocol: 'lambda',
          Endpoint: `arn:aws:lambda:us-east-1:${ACCOUNT}:function:forward`,
        }),
      );
      await kinesis.send(new CreateStreamCommand({ StreamName: 'mixed', ShardCount: 2 }));
      await dynamo.send(
        new CreateTableCommand({
          TableName: 'mixed',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      await s3.send(new CreateBucketCommand({ Bucket: 'mixed' }));

      const rounds = Array.from({ length: ROUNDS }, (_, round) => round);
      const published = rounds.flatMap((round) => Array.from({ length: BATCH }, (_, i) => `sns-${round}-${i}`));
      const work = rounds.flatMap((round) => [
        sns.send(
          new PublishBatchCommand({
            TopicArn: topic,
            PublishBatchRequestEntries: Array.from({ length: BATCH }, (_, i) => ({
              Id: String(i),
              Message: `sns-${round}-${i}`,
            })),
          }),
        ),
        lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: JSON.stringify({ round }) })),
        lambda.send(
          new InvokeCommand({
            FunctionName: 'forward',
            InvocationType: 'Event',
            Payload: JSON.stringify({ async: round }),
          }),
        ),
        kinesis.send(
          new PutRecordsCommand({
            StreamName: 'mixed',
            Records: Array.from({ length: BATCH }, (_, i) => ({
              PartitionKey: `k${i}`,
              Data: Buffer.from(`${round}-${i}`),
            })),
          }),
        ),
        dynamo.send(new PutItemCommand({ TableName: 'mixed', Item: { id: { S: `item-${round}` } } })),
        s3.send(new PutObjectCommand({ Bucket: 'mixed', Key: `o/${round}`, Body: `object ${round}` })),
      ]);
      const answers = await Promise.allSettled(work);
      const failed = answers.filter((a) => a.status === 'rejected').map((a) => String(a.reason));
      expect(failed).toEqual([]);
      for (const answer of answers) {
        const value = (answer as PromiseFulfilledResult<unknown>).value as {
          FunctionError?: string;
          Failed?: unknown[];
          FailedRecordCount?: number;
        };
        expect(value.FunctionError, JSON.stringify(value)).toBeUndefined();
        expect(value.Failed ?? [], 'a PublishBatch entry failed').toEqual([]);
        expect(value.FailedRecordCount ?? 0, 'a Kinesis record failed').toBe(0);
      }

      // Every message reached the raw queue once, and every SNS record and async event the function once.
      expect((await drain(sqs, direct, published.length)).sort()).toEqual([...published].sort());
      const seen = (await drain(sqs, forwarded, published.length + ROUNDS)).map(
        (body) => JSON.parse(body) as { Records?: Array<{ Sns: { Message: string } }>; async?: number },
      );
      const viaSns = seen.flatMap((event) => event.Records?.map((r) => r.Sns.Message) ?? []);
      const viaAsync = seen.flatMap((event) => (event.async === undefined ? [] : [event.async]));
      expect(viaSns.sort()).toEqual([...published].sort());
      expect(viaAsync.sort((a, b) => a - b)).toEqual(rounds);

      // The stored records read back whole.
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'mixed' }));
      expect(listed.KeyCount).toBe(ROUNDS);
      const item = await dynamo.send(new GetItemCommand({ TableName: 'mixed', Key: { id: { S: 'item-7' } } }));
      expect(item.Item?.id?.S).toBe('item-7');
      let count = 0;
      for (const shard of ['shardId-000000000000', 'shardId-000000000001']) {
        const { ShardIterator } = await kinesis.send(
          new GetShardIteratorCommand({ StreamName: 'mixed', ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }),
        );
        count += ((await kinesis.send(new GetRecordsCommand({ ShardIterator, Limit: 10_000 }))).Records ?? []).length;
      }
      expect(count).toBe(ROUNDS * BATCH);
      expect(errorLines).toEqual([]);
    } finally {
      for (const client of [lambda, sns, sqs, kinesis, dynamo, s3]) client.destroy();
    }
  }, 120_000);
});
