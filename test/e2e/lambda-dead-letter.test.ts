import {
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteQueueCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionDetail, InvocationsAnswer } from '../../src/api/native/contract.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runAws, runLambdata } from '../helpers/cli.js';
import { fixturePath, zipFixture } from '../helpers/fixtures.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';
import { eventually } from '../helpers/wait.js';

const ARN = 'arn:aws:sqs:us-east-1:000000000000';
const zip = zipFixture('invoke/reject');

/** Receives one message (long polling), with every message attribute. */
async function receiveOne(sqs: SQSClient, QueueUrl: string, waitSeconds = 20): Promise<Message> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: waitSeconds, MessageAttributeNames: ['All'] }),
    );
    if (Messages?.[0]) return Messages[0];
  }
  throw new Error(`no message on ${QueueUrl}`);
}

function clients(url: string) {
  const config = { ...AWS_TEST_CONFIG, endpoint: url, maxAttempts: 1 };
  return { lambda: new LambdaClient(config), sqs: new SQSClient(config), sns: new SNSClient(config) };
}

/** Creates a function that always fails, with one attempt per async event and DeadLetterConfig `dlq`. */
async function createRejecting(lambda: LambdaClient, name: string, dlq?: string) {
  const out = await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: 'arn:aws:iam::000000000000:role/lambda-role',
      Code: { ZipFile: zip },
      ...(dlq === undefined ? {} : { DeadLetterConfig: { TargetArn: dlq } }),
    }),
  );
  await lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: name, MaximumRetryAttempts: 0 }));
  return out;
}

describe('Lambda DeadLetterConfig (SQS and SNS targets)', () => {
  let serve: ServeProcess;
  let lambda: LambdaClient;
  let sqs: SQSClient;
  let sns: SNSClient;

  beforeAll(async () => {
    serve = await startServe('dlq', { env: { LAMBDATA_RETRY_BASE_MS: '50' } });
    ({ lambda, sqs, sns } = clients(serve.url));
  });
  afterAll(async () => {
    await serve?.close();
  });

  it('sends a discarded async event to its SQS dead-letter queue: the event as the body, RequestID/ErrorCode/ErrorMessage attributes', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'orders-dlq' }));
    const created = await createRejecting(lambda, 'orders', `${ARN}:orders-dlq`);
    expect(created.DeadLetterConfig).toEqual({ TargetArn: `${ARN}:orders-dlq` });
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'orders' }));
    expect(config.DeadLetterConfig?.TargetArn).toBe(`${ARN}:orders-dlq`);
    const fn = await lambda.send(new GetFunctionCommand({ FunctionName: 'orders' }));
    expect(fn.Configuration?.DeadLetterConfig?.TargetArn).toBe(`${ARN}:orders-dlq`);

    const event = '{"id":"o-1","items":[1,2,3]}';
    const invoked = await lambda.send(
      new InvokeCommand({ FunctionName: 'orders', InvocationType: 'Event', Payload: Buffer.from(event) }),
    );
    expect(invoked.StatusCode).toBe(202);
    const message = await receiveOne(sqs, QueueUrl as string);
    expect(message.Body).toBe(event);
    expect(message.MessageAttributes).toEqual({
      RequestID: { DataType: 'String', StringValue: invoked.$metadata.requestId },
      ErrorCode: { DataType: 'Number', StringValue: '200' },
      ErrorMessage: { DataType: 'String', StringValue: 'cannot handle o-1' },
    });
    // The queue took it: nothing stays in the local dead-letter store.
    const listed = await runLambdata(serve.url, 'dlq', 'ls', '--function', 'orders', '--json');
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });

  it('truncates ErrorMessage to 1 KB', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'long-dlq' }));
    await createRejecting(lambda, 'long', `${ARN}:long-dlq`);
    const pad = 'é'.repeat(2000);
    await lambda.send(
      new InvokeCommand({ FunctionName: 'long', InvocationType: 'Event', Payload: JSON.stringify({ id: 'l', pad }) }),
    );
    const message = await receiveOne(sqs, QueueUrl as string);
    const text = message.MessageAttributes?.ErrorMessage?.StringValue ?? '';
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1024);
    expect(Buffer.byteLength(text)).toBeGreaterThan(1020);
    expect(text.startsWith('cannot handle lé')).toBe(true);
    expect(text).not.toContain('\uFFFD');
  });

  it('publishes to an SNS dead-letter topic, and the on-failure destination gets its record too', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'failures' }));
    const { QueueUrl: copyUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'failures-copy' }));
    const { QueueUrl: destUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'on-failure' }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: `${ARN}:failures-copy` }));
    await createRejecting(lambda, 'payments');
    const updated = await lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: 'payments', DeadLetterConfig: { TargetArn: TopicArn } }),
    );
    expect(updated.DeadLetterConfig?.TargetArn).toBe(TopicArn);
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: 'payments',
        MaximumRetryAttempts: 0,
        DestinationConfig: { OnFailure: { Destination: `${ARN}:on-failure` } },
      }),
    );
    const event = '{"id":"p-9"}';
    const invoked = await lambda.send(
      new InvokeCommand({ FunctionName: 'payments', InvocationType: 'Event', Payload: Buffer.from(event) }),
    );
    const envelope = JSON.parse((await receiveOne(sqs, copyUrl as string)).Body ?? '{}');
    expect(envelope.TopicArn).toBe(TopicArn);
    expect(envelope.Message).toBe(event);
    expect(envelope.MessageAttributes).toEqual({
      RequestID: { Type: 'String', Value: invoked.$metadata.requestId },
      ErrorCode: { Type: 'Number', Value: '200' },
      ErrorMessage: { Type: 'String', Value: 'cannot handle p-9' },
    });
    const record = JSON.parse((await receiveOne(sqs, destUrl as string)).Body ?? '{}');
    expect(record.requestContext).toMatchObject({
      requestId: invoked.$metadata.requestId,
      condition: 'RetriesExhausted',
    });
    expect(record.requestPayload).toEqual({ id: 'p-9' });
  });

  it('refuses a target that does not exist or is not a queue or topic, as AWS words it; an empty TargetArn clears it', async () => {
    await createRejecting(lambda, 'plain');
    const refusal = (TargetArn: string) =>
      lambda
        .send(new UpdateFunctionConfigurationCommand({ FunctionName: 'plain', DeadLetterConfig: { TargetArn } }))
        .then(
          () => undefined,
          (err: Error) => ({ name: err.name, message: err.message }),
        );
    expect(await refusal(`${ARN}:no-such-queue`)).toEqual({
      name: 'InvalidParameterValueException',
      message: 'The provided execution role does not have permissions to call SendMessage on SQS',
    });
    expect(await refusal('arn:aws:sns:us-east-1:000000000000:no-such-topic')).toEqual({
      name: 'InvalidParameterValueException',
      message: 'The provided execution role does not have permissions to call Publish on SNS',
    });
    expect((await refusal('arn:aws:lambda:us-east-1:000000000000:function:plain'))?.name).toBe(
      'InvalidParameterValueException',
    );
    expect((await refusal('orders-dlq'))?.name).toBe('InvalidParameterValueException');
    await expect(createRejecting(lambda, 'never-made', `${ARN}:no-such-queue`)).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
    });

    await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'plain',
        DeadLetterConfig: { TargetArn: `${ARN}:orders-dlq` },
      }),
    );
    const cleared = await lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: 'plain', DeadLetterConfig: { TargetArn: '' } }),
    );
    expect(cleared.DeadLetterConfig).toBeUndefined();
    // Without a target the event lands in the local dead-letter store, as before.
    await lambda.send(new InvokeCommand({ FunctionName: 'plain', InvocationType: 'Event', Payload: '{"id":"x"}' }));
    await eventually(async () => {
      const listed = await runLambdata(serve.url, 'dlq', 'ls', '--function', 'plain', '--json');
      return JSON.parse(listed.stdout).length === 1;
    });
  });

  it('refuses a FIFO queue or FIFO topic as dead-letter target or async destination, as Lambda takes only standard ones', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'ordered.fifo', Attributes: { FifoQueue: 'true' } }),
    );
    expect(QueueUrl).toBeDefined();
    const { TopicArn } = await sns.send(
      new CreateTopicCommand({ Name: 'ordered.fifo', Attributes: { FifoTopic: 'true' } }),
    );
    const queueArn = `${ARN}:ordered.fifo`;
    const refused = (promise: Promise<unknown>) =>
      promise.then(
        () => 'accepted',
        (err: Error) => `${err.name}: ${err.message}`,
      );
    const fifoRefusal = /^InvalidParameterValueException: .*FIFO SQS queues and FIFO SNS topics are not supported/;
    expect(await refused(createRejecting(lambda, 'fifo-dlq', queueArn))).toMatch(fifoRefusal);
    await createRejecting(lambda, 'fifo-target');
    for (const target of [queueArn, TopicArn as string]) {
      expect(
        await refused(
          lambda.send(
            new UpdateFunctionConfigurationCommand({
              FunctionName: 'fifo-target',
              DeadLetterConfig: { TargetArn: target },
            }),
          ),
        ),
      ).toMatch(fifoRefusal);
      for (const key of ['OnFailure', 'OnSuccess'] as const) {
        expect(
          await refused(
            lambda.send(
              new PutFunctionEventInvokeConfigCommand({
                FunctionName: 'fifo-target',
                DestinationConfig: { [key]: { Destination: target } },
              }),
            ),
          ),
        ).toMatch(fifoRefusal);
      }
    }
    // Nothing refused was stored: the function keeps no dead-letter target.
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'fifo-target' }));
    expect(config.DeadLetterConfig?.TargetArn).toBeUndefined();
    // A standard queue of the same stem is still taken.
    await sqs.send(new CreateQueueCommand({ QueueName: 'ordered' }));
    const taken = await lambda.send(
      new UpdateFunctionConfigurationCommand({
        FunctionName: 'fifo-target',
        DeadLetterConfig: { TargetArn: `${ARN}:ordered` },
      }),
    );
    expect(taken.DeadLetterConfig).toEqual({ TargetArn: `${ARN}:ordered` });
  });

  it('is set, shown and cleared from the AWS CLI and the lambdata CLI', async () => {
    await sqs.send(new CreateQueueCommand({ QueueName: 'cli-dlq' }));
    await createRejecting(lambda, 'cli-fn');
    const set = await runAws(
      serve.url,
      serve.dir,
      'lambda',
      'update-function-configuration',
      '--function-name',
      'cli-fn',
      '--dead-letter-config',
      `TargetArn=${ARN}:cli-dlq`,
    );
    expect(set?.DeadLetterConfig).toEqual({ TargetArn: `${ARN}:cli-dlq` });
    const shown = await runAws(
      serve.url,
      serve.dir,
      'lambda',
      'get-function-configuration',
      '--function-name',
      'cli-fn',
    );
    expect(shown?.DeadLetterConfig?.TargetArn).toBe(`${ARN}:cli-dlq`);

    const details = await runLambdata(serve.url, 'functions', 'show', 'cli-fn');
    expect(details.stdout).toMatch(new RegExp(`deadLetterTargetArn\\s+${ARN}:cli-dlq`));
    const cleared = await runLambdata(serve.url, 'invoke-config', 'cli-fn', '--dlq', 'none');
    expect(cleared.stdout).toMatch(/deadLetterQueue\s+-/);
    const again = await runLambdata(serve.url, 'invoke-config', 'cli-fn', '--dlq', `${ARN}:cli-dlq`, '--json');
    expect(JSON.parse(again.stdout).deadLetterTargetArn).toBe(`${ARN}:cli-dlq`);
    const refused = await runLambdata(serve.url, 'invoke-config', 'cli-fn', '--dlq', `${ARN}:missing`);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('SendMessage on SQS');
    const detail = (await (await fetch(`${serve.url}/_lambdata/functions/cli-fn`)).json()) as FunctionDetail;
    expect(detail.deadLetterTargetArn).toBe(`${ARN}:cli-dlq`);

    const deployed = await runLambdata(
      serve.url,
      'deploy',
      'cli-deployed',
      fixturePath('invoke/reject'),
      '--handler',
      'index.handler',
      '--dlq',
      `${ARN}:cli-dlq`,
      '--json',
    );
    expect(deployed.code).toBe(0);
    expect((JSON.parse(deployed.stdout) as FunctionDetail).deadLetterTargetArn).toBe(`${ARN}:cli-dlq`);
  });
});

describe('Lambda DeadLetterConfig durability', () => {
  it('sends a dead letter whose send was pending when lambdata serve was killed -9', async () => {
    // Sends back off by the retry base: 8 s leaves time to kill the server between the failed first send and the next.
    const env = { LAMBDATA_RETRY_BASE_MS: '8000' };
    const first = await startServe('dlq-kill', { env });
    let second: ServeProcess | undefined;
    try {
      let { lambda, sqs } = clients(first.url);
      await sqs.send(new CreateQueueCommand({ QueueName: 'late-dlq' }));
      await createRejecting(lambda, 'late', `${ARN}:late-dlq`);
      // The queue goes away before the failure: the first send fails and waits to be retried.
      await sqs.send(new DeleteQueueCommand({ QueueUrl: `${first.url}/000000000000/late-dlq` }));
      const invoked = await lambda.send(
        new InvokeCommand({ FunctionName: 'late', InvocationType: 'Event', Payload: '{"id":"k-1"}' }),
      );
      await eventually(async () => {
        const res = await fetch(`${first.url}/_lambdata/invocations?function=late`);
        const { invocations } = (await res.json()) as InvocationsAnswer;
        return invocations.some((r) => r.requestId === invoked.$metadata.requestId && r.outcome !== 'success');
      });
      await first.crash();

      second = await startServe('dlq-kill', { env, dir: first.dir });
      ({ lambda, sqs } = clients(second.url));
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'late-dlq' }));
      const message = await receiveOne(sqs, QueueUrl as string);
      expect(message.Body).toBe('{"id":"k-1"}');
      expect(message.MessageAttributes?.RequestID?.StringValue).toBe(invoked.$metadata.requestId);
    } finally {
      if (second) await second.close();
      else await first.close();
    }
  }, 120_000);
});
