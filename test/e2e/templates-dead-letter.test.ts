import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runLambdata } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { changeLines } from '../helpers/templates.js';

const template = (deadLetter: string) => `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Failures:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: orders-failures
  Alarms:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: orders-alarms
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: orders-worker
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: ${fixturePath('invoke/reject')}
${deadLetter}`;

describe('lambdata deploy --template: a function dead-letter queue', () => {
  let t: TestServer;
  let dir: string;
  let lambda: LambdaClient;

  const deploy = async (deadLetter: string) => {
    const file = join(dir, 'template.yaml');
    writeFileSync(file, template(deadLetter));
    const out = await runLambdata(t.url, 'deploy', '--template', file, '--stack-name', 'orders');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    return changeLines(out.stdout);
  };
  const target = async () =>
    (await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'orders-worker' }))).DeadLetterConfig
      ?.TargetArn;

  beforeAll(async () => {
    t = await startTestServer('templates-dlq');
    dir = mkdtempSync(join(tmpdir(), 'lambdata-template-dlq-'));
    lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: t.url });
  });
  afterAll(async () => {
    lambda?.destroy();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sets SAM's DeadLetterQueue, keeps it on an unchanged redeploy, switches it, and removes it", async () => {
    const sqs = '      DeadLetterQueue:\n        Type: SQS\n        TargetArn: !GetAtt Failures.Arn\n';
    expect(await deploy(sqs)).toContain('created function orders-worker');
    expect(await target()).toBe('arn:aws:sqs:us-east-1:000000000000:orders-failures');
    expect(await deploy(sqs)).toContain('unchanged function orders-worker');
    expect(await deploy('      DeadLetterQueue:\n        Type: SNS\n        TargetArn: !Ref Alarms\n')).toContain(
      'updated function orders-worker',
    );
    expect(await target()).toBe('arn:aws:sns:us-east-1:000000000000:orders-alarms');
    expect(await deploy('')).toContain('updated function orders-worker');
    expect(await target()).toBeUndefined();
  });
});
