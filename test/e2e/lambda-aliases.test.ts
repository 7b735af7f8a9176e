/**
 * Aliases and resource policies through @aws-sdk/client-lambda: CRUD and AWS's errors, invoking by
 * alias (qualifier and alias ARN) with weighted routing reported in X-Amz-Executed-Version, alias
 * ARNs as S3 notification, event source mapping and destination targets, and policies kept across
 * a restart of the engine.
 */
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateEventSourceMappingCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  DeleteFunctionCommand,
  GetAliasCommand,
  GetPolicyCommand,
  InvokeCommand,
  LambdaClient,
  ListAliasesCommand,
  ListTagsCommand,
  PublishVersionCommand,
  PutFunctionEventInvokeConfigCommand,
  RemovePermissionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import {
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { zipFixture } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:svc';

let t: TestServer;
let lambda: LambdaClient;

const decode = (payload?: Uint8Array) => JSON.parse(Buffer.from(payload ?? []).toString('utf8'));

/** Versions of `svc` the engine ran for `trigger`, oldest first. */
function versionsRun(trigger: string): string[] {
  return t.engine.invocations
    .recent({ functionName: 'svc', trigger })
    .map((r) => r.version)
    .reverse();
}

beforeAll(async () => {
  t = await startTestServer('lambda-aliases');
  lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: t.url });
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: 'svc',
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::000000000000:role/any',
      Handler: 'index.handler',
      Code: { ZipFile: zipFixture('lambda/echo') },
      Environment: { Variables: { GREETING: 'one' } },
      Tags: { team: 'data', stage: 'dev' },
      Publish: true,
    }),
  );
  await lambda.send(
    new UpdateFunctionConfigurationCommand({ FunctionName: 'svc', Environment: { Variables: { GREETING: 'two' } } }),
  );
  expect((await lambda.send(new PublishVersionCommand({ FunctionName: 'svc' }))).Version).toBe('2');
});

afterAll(async () => {
  lambda?.destroy();
  await t?.close();
});

describe('aliases', () => {
  it('creates, gets and lists aliases, refusing duplicates, bad names and missing versions as AWS does', async () => {
    const created = await lambda.send(
      new CreateAliasCommand({ FunctionName: 'svc', Name: 'live', FunctionVersion: '1', Description: 'prod' }),
    );
    expect(created).toMatchObject({ AliasArn: `${ARN}:live`, Name: 'live', FunctionVersion: '1', Description: 'prod' });
    expect(created.RevisionId).toMatch(/^[0-9a-f-]{36}$/);
    await lambda.send(new CreateAliasCommand({ FunctionName: ARN, Name: 'edge', FunctionVersion: '$LATEST' }));
    const got = await lambda.send(new GetAliasCommand({ FunctionName: 'svc', Name: 'live' }));
    expect(got).toMatchObject({ AliasArn: `${ARN}:live`, FunctionVersion: '1', RevisionId: created.RevisionId });
    const listed = await lambda.send(new ListAliasesCommand({ FunctionName: 'svc' }));
    expect(listed.Aliases?.map((a) => a.Name)).toEqual(['edge', 'live']);
    const ofVersion = await lambda.send(new ListAliasesCommand({ FunctionName: 'svc', FunctionVersion: '1' }));
    expect(ofVersion.Aliases?.map((a) => a.Name)).toEqual(['live']);

    await expect(
      lambda.send(new CreateAliasCommand({ FunctionName: 'svc', Name: 'live', FunctionVersion: '2' })),
    ).rejects.toMatchObject({ name: 'ResourceConflictException', $metadata: { httpStatusCode: 409 } });
    await expect(
      lambda.send(new CreateAliasCommand({ FunctionName: 'svc', Name: '42', FunctionVersion: '1' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(
      lambda.send(new CreateAliasCommand({ FunctionName: 'svc', Name: 'ghost', FunctionVersion: '9' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(lambda.send(new GetAliasCommand({ FunctionName: 'svc', Name: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(
      lambda.send(new CreateAliasCommand({ FunctionName: 'missing', Name: 'live', FunctionVersion: '1' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('invokes by qualifier and by alias ARN, reporting the version that ran', async () => {
    const byQualifier = await lambda.send(new InvokeCommand({ FunctionName: 'svc', Qualifier: 'live', Payload: '{}' }));
    expect(byQualifier.ExecutedVersion).toBe('1');
    expect(decode(byQualifier.Payload)).toMatchObject({ version: '1', greeting: 'one' });
    const byArn = await lambda.send(new InvokeCommand({ FunctionName: `${ARN}:edge`, Payload: '{}' }));
    expect(byArn.ExecutedVersion).toBe('$LATEST');
    await expect(
      lambda.send(new InvokeCommand({ FunctionName: `${ARN}:live`, Qualifier: 'edge', Payload: '{}' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'svc', Qualifier: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('routes between two versions by weight and refuses routing configs AWS refuses', async () => {
    const before = await lambda.send(new GetAliasCommand({ FunctionName: 'svc', Name: 'live' }));
    await expect(
      lambda.send(new UpdateAliasCommand({ FunctionName: 'svc', Name: 'live', Description: 'x', RevisionId: 'stale' })),
    ).rejects.toMatchObject({ name: 'PreconditionFailedException', $metadata: { httpStatusCode: 412 } });
    const refused: Array<Record<string, number>> = [
      { '2': 1.5 },
      { '1': 0.5 },
      { $LATEST: 0.5 },
      { '2': 0.5, '3': 0.1 },
    ];
    for (const weights of refused) {
      await expect(
        lambda.send(
          new UpdateAliasCommand({
            FunctionName: 'svc',
            Name: 'live',
            RoutingConfig: { AdditionalVersionWeights: weights },
          }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    }
    await expect(
      lambda.send(
        new UpdateAliasCommand({
          FunctionName: 'svc',
          Name: 'edge',
          RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });

    const updated = await lambda.send(
      new UpdateAliasCommand({
        FunctionName: 'svc',
        Name: 'live',
        RevisionId: before.RevisionId,
        RoutingConfig: { AdditionalVersionWeights: { '2': 0.5 } },
      }),
    );
    expect(updated.RoutingConfig).toEqual({ AdditionalVersionWeights: { '2': 0.5 } });
    expect(updated.RevisionId).not.toBe(before.RevisionId);

    const counts: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const out = await lambda.send(new InvokeCommand({ FunctionName: 'svc', Qualifier: 'live', Payload: '{}' }));
      const version = out.ExecutedVersion as string;
      expect(decode(out.Payload).version).toBe(version);
      counts[version] = (counts[version] ?? 0) + 1;
    }
    // Binomial(40, 0.5): outside 8..32 with probability below 1e-4.
    expect(Object.keys(counts).sort()).toEqual(['1', '2']);
    expect(counts['2']).toBeGreaterThanOrEqual(8);
    expect(counts['2']).toBeLessThanOrEqual(32);

    await expect(lambda.send(new DeleteFunctionCommand({ FunctionName: 'svc', Qualifier: '2' }))).rejects.toMatchObject(
      {
        name: 'ResourceConflictException',
      },
    );
    const cleared = await lambda.send(
      new UpdateAliasCommand({ FunctionName: 'svc', Name: 'live', RoutingConfig: { AdditionalVersionWeights: {} } }),
    );
    expect(cleared.RoutingConfig).toBeUndefined();
    const only = await lambda.send(new InvokeCommand({ FunctionName: 'svc', Qualifier: 'live', Payload: '{}' }));
    expect(only.ExecutedVersion).toBe('1');
  });

  it('takes alias ARNs as S3 notification, SNS subscription, queue mapping and destination targets', async () => {
    const s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: t.url, forcePathStyle: true });
    const sqs = new SQSClient({ ...AWS_TEST_CONFIG, endpoint: t.url });
    const sns = new SNSClient({ ...AWS_TEST_CONFIG, endpoint: t.url });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'uploads' }));
      await s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: 'uploads',
          NotificationConfiguration: {
            LambdaFunctionConfigurations: [{ LambdaFunctionArn: `${ARN}:live`, Events: ['s3:ObjectCreated:*'] }],
          },
        }),
      );
      await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: 'a.txt', Body: 'hello' }));
      await eventually(() => versionsRun('s3').length === 1);
      expect(versionsRun('s3')).toEqual(['1']);

      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'events' }));
      await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'lambda', Endpoint: `${ARN}:live` }));
      await sns.send(new PublishCommand({ TopicArn, Message: 'hi' }));
      await eventually(() => versionsRun('sns').length === 1);
      expect(versionsRun('sns')).toEqual(['1']);

      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'jobs' }));
      const mapping = await lambda.send(
        new CreateEventSourceMappingCommand({
          FunctionName: `${ARN}:live`,
          EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:jobs',
          BatchSize: 1,
        }),
      );
      expect(mapping.FunctionArn).toBe(`${ARN}:live`);
      await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'work' }));
      await eventually(() => versionsRun('sqs').length === 1);
      expect(versionsRun('sqs')).toEqual(['1']);

      const config = await lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: 'svc',
          DestinationConfig: { OnFailure: { Destination: `${ARN}:live` } },
        }),
      );
      expect(config.DestinationConfig?.OnFailure?.Destination).toBe(`${ARN}:live`);
      await lambda.send(
        new InvokeCommand({ FunctionName: 'svc', InvocationType: 'Event', Payload: JSON.stringify({ fail: 'no' }) }),
      );
      await eventually(() => versionsRun('destination').length === 1, 30_000);
      expect(versionsRun('destination')).toEqual(['1']);
    } finally {
      s3.destroy();
      sqs.destroy();
      sns.destroy();
    }
  }, 60_000);

  it('deletes an alias (deleting one that is gone is no error)', async () => {
    await lambda.send(new DeleteAliasCommand({ FunctionName: 'svc', Name: 'edge' }));
    await lambda.send(new DeleteAliasCommand({ FunctionName: 'svc', Name: 'edge' }));
    await expect(lambda.send(new GetAliasCommand({ FunctionName: 'svc', Name: 'edge' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });
});

describe('resource policies and tags', () => {
  it('adds, shows and removes permissions in the AWS policy shape', async () => {
    const added = await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'svc',
        StatementId: 's3-invoke',
        Action: 'lambda:InvokeFunction',
        Principal: 's3.amazonaws.com',
        SourceArn: 'arn:aws:s3:::uploads',
        SourceAccount: '000000000000',
      }),
    );
    expect(JSON.parse(added.Statement as string)).toEqual({
      Sid: 's3-invoke',
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: ARN,
      Condition: {
        StringEquals: { 'AWS:SourceAccount': '000000000000' },
        ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::uploads' },
      },
    });
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'svc',
        StatementId: 'partner',
        Action: 'lambda:InvokeFunctionUrl',
        Principal: '111122223333',
        FunctionUrlAuthType: 'AWS_IAM',
      }),
    );
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: 'svc',
        Qualifier: 'live',
        StatementId: 'sns',
        Action: 'lambda:InvokeFunction',
        Principal: 'sns.amazonaws.com',
      }),
    );
    const policy = await lambda.send(new GetPolicyCommand({ FunctionName: 'svc' }));
    const doc = JSON.parse(policy.Policy as string);
    expect(doc).toMatchObject({ Version: '2012-10-17', Id: 'default' });
    expect(doc.Statement.map((s: { Sid: string }) => s.Sid)).toEqual(['s3-invoke', 'partner']);
    expect(doc.Statement[1]).toMatchObject({
      Principal: { AWS: 'arn:aws:iam::111122223333:root' },
      Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
    });
    const aliasPolicy = JSON.parse(
      (await lambda.send(new GetPolicyCommand({ FunctionName: 'svc', Qualifier: 'live' }))).Policy as string,
    );
    expect(aliasPolicy.Statement).toEqual([expect.objectContaining({ Sid: 'sns', Resource: `${ARN}:live` })]);

    await expect(
      lambda.send(
        new AddPermissionCommand({
          FunctionName: 'svc',
          StatementId: 's3-invoke',
          Action: 'lambda:InvokeFunction',
          Principal: 's3.amazonaws.com',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceConflictException' });
    await expect(
      lambda.send(
        new AddPermissionCommand({
          FunctionName: 'svc',
          StatementId: 'bad',
          Action: 'lambda:Invoke',
          Principal: 'nobody',
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(
      lambda.send(
        new AddPermissionCommand({
          FunctionName: 'svc',
          StatementId: 'stale',
          Action: 'lambda:InvokeFunction',
          Principal: '*',
          RevisionId: 'not-the-revision',
        }),
      ),
    ).rejects.toMatchObject({ name: 'PreconditionFailedException' });

    await lambda.send(new RemovePermissionCommand({ FunctionName: 'svc', StatementId: 'partner' }));
    await expect(
      lambda.send(new RemovePermissionCommand({ FunctionName: 'svc', StatementId: 'partner' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(lambda.send(new GetPolicyCommand({ FunctionName: 'svc', Qualifier: '2' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('keeps tags given at CreateFunction and by TagResource/UntagResource', async () => {
    expect((await lambda.send(new ListTagsCommand({ Resource: ARN }))).Tags).toEqual({ team: 'data', stage: 'dev' });
    await lambda.send(new TagResourceCommand({ Resource: ARN, Tags: { stage: 'prod', owner: 'ana' } }));
    await lambda.send(new UntagResourceCommand({ Resource: ARN, TagKeys: ['team'] }));
    expect((await lambda.send(new ListTagsCommand({ Resource: ARN }))).Tags).toEqual({ stage: 'prod', owner: 'ana' });
  });

  it('keeps aliases and policies across a restart of the engine', async () => {
    await t.server.close();
    await t.engine.close();
    const again = await createEngine({ dataDir: t.dir, background: false });
    try {
      expect(again.functions.aliases.get('svc', 'live').functionVersion).toBe('1');
      expect(again.functions.policies.get('svc', '').policy.Statement.map((s) => s.Sid)).toEqual(['s3-invoke']);
      expect(again.functions.get('svc', 'live').version).toBe('1');
    } finally {
      await again.close();
    }
  });
});
