import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateBucketCommand,
  DeleteObjectTaggingCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateQueueCommand, type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { S3Event, S3EventRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runAws } from '../helpers/cli.js';
import { zipFixture } from '../helpers/fixtures.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

describe('S3 ObjectTagging notifications', () => {
  let serve: ServeProcess;
  let s3: S3Client;
  let sqs: SQSClient;
  let lambda: LambdaClient;
  let queueUrl: string;

  /** `aws s3api …` against the server, on the test bucket's key v.txt when `onKey` names the operation. */
  const s3api = (...args: string[]) => runAws(serve.url, serve.dir, 's3api', ...args);
  const onKey = (operation: string, ...args: string[]) =>
    s3api(operation, '--bucket', 'tagged-versions', '--key', 'v.txt', ...args);

  /** The S3 records the forwarding function sent to the queue, until `count` arrived. */
  async function records(count: number): Promise<S3EventRecord[]> {
    const seen: S3EventRecord[] = [];
    const deadline = Date.now() + 60_000;
    while (seen.length < count && Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5, MaxNumberOfMessages: 10 }),
      );
      for (const m of Messages as Message[]) seen.push(...(JSON.parse(m.Body ?? '{}') as S3Event).Records);
    }
    return seen;
  }

  beforeAll(async () => {
    serve = await startServe('s3-tag-events');
    const config = { ...AWS_TEST_CONFIG, endpoint: serve.url, maxAttempts: 1 };
    s3 = new S3Client({ ...config, forcePathStyle: true });
    sqs = new SQSClient(config);
    lambda = new LambdaClient(config);
    ({ QueueUrl: queueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: 'tag-events' })));
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'on-tags',
        Runtime: 'nodejs20.x',
        Handler: 'index.handler',
        Role: 'arn:aws:iam::000000000000:role/lambda-role',
        Code: { ZipFile: zipFixture('objects/forward-to-queue') },
        Environment: { Variables: { QUEUE_URL: queueUrl } },
      }),
    );
  });
  afterAll(async () => {
    await serve?.close();
  });

  it('sends ObjectTagging:Put and ObjectTagging:Delete records (event version 2.3) to a configured function', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'tagged' }));
    await s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: 'tagged',
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [
            {
              Id: 'tags',
              LambdaFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:on-tags',
              Events: ['s3:ObjectTagging:*'],
            },
          ],
        },
      }),
    );
    const put = await s3.send(new PutObjectCommand({ Bucket: 'tagged', Key: 'reports/q1.csv', Body: 'a,b\n' }));
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: 'tagged',
        Key: 'reports/q1.csv',
        Tagging: { TagSet: [{ Key: 'class', Value: 'secret' }] },
      }),
    );
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: 'tagged', Key: 'reports/q1.csv' }));

    // Async invocations run side by side: S3 promises no order either, its sequencer gives it.
    const got = (await records(2)).sort((a, b) => a.s3.object.sequencer.localeCompare(b.s3.object.sequencer));
    // ObjectCreated is not configured: only the two tagging events arrive.
    expect(got.map((r) => r.eventName)).toEqual(['ObjectTagging:Put', 'ObjectTagging:Delete']);
    for (const record of got) {
      expect(record).toMatchObject({
        eventVersion: '2.3',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'tags',
          bucket: { name: 'tagged', arn: 'arn:aws:s3:::tagged' },
        },
      });
      expect(record.s3.object).toEqual({
        key: 'reports/q1.csv',
        eTag: put.ETag?.replaceAll('"', ''),
        sequencer: expect.stringMatching(/^[0-9A-F]{16}$/),
      });
    }
  });

  it('carries the version id in a versioned bucket, and filters Put from Delete, from the AWS CLI', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'tagged-versions' }));
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: 'tagged-versions', VersioningConfiguration: { Status: 'Enabled' } }),
    );
    await s3api(
      'put-bucket-notification-configuration',
      '--bucket',
      'tagged-versions',
      '--notification-configuration',
      JSON.stringify({
        LambdaFunctionConfigurations: [
          {
            LambdaFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:on-tags',
            Events: ['s3:ObjectTagging:Put'],
          },
        ],
      }),
    );
    const put = await s3.send(new PutObjectCommand({ Bucket: 'tagged-versions', Key: 'v.txt', Body: 'v1' }));
    await onKey('put-object-tagging', '--tagging', 'TagSet=[{Key=stage,Value=raw}]');
    await onKey('delete-object-tagging');
    await onKey('put-object-tagging', '--tagging', 'TagSet=[{Key=stage,Value=clean}]');
    const got = await records(2);
    expect(got.map((r) => r.eventName)).toEqual(['ObjectTagging:Put', 'ObjectTagging:Put']);
    expect(got.map((r) => r.s3.object.versionId)).toEqual([put.VersionId, put.VersionId]);
    // The delete was not configured: nothing more arrives.
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2 }));
    expect(Messages ?? []).toEqual([]);
  });

  it('refuses an unknown ObjectTagging event type', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'tagged-bad' }));
    await expect(
      s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: 'tagged-bad',
          NotificationConfiguration: {
            LambdaFunctionConfigurations: [
              {
                LambdaFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:on-tags',
                Events: ['s3:ObjectTagging:Get' as never],
              },
            ],
          },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidArgument' });
  });
});
