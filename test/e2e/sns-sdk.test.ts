import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PutBucketNotificationConfigurationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  ConfirmSubscriptionCommand,
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SetTopicAttributesCommand,
  SNSClient,
  SubscribeCommand,
  TagResourceCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactDir } from '../helpers/artifacts.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { fixturePath } from '../helpers/fixtures.js';
import { WRITES_HOST_FILES } from '../helpers/sandbox.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';

process.env.LAMBDATA_RETRY_BASE_MS = '20';

let server: TestServer;
let sns: SNSClient;
let sqs: SQSClient;
const dir = artifactDir('lambdata-sns-');

beforeAll(async () => {
  server = await startTestServer('sns', { runtime: WRITES_HOST_FILES });
  const config = { ...AWS_TEST_CONFIG, endpoint: server.url, maxAttempts: 1 };
  sns = new SNSClient(config);
  sqs = new SQSClient(config);
});
afterAll(async () => {
  sns.destroy();
  sqs.destroy();
  await server.close();
  dir.remove();
});

async function topic(name: string, attributes?: Record<string, string>): Promise<string> {
  const out = await sns.send(new CreateTopicCommand({ Name: name, ...(attributes ? { Attributes: attributes } : {}) }));
  return out.TopicArn as string;
}

async function queue(name: string, attributes?: Record<string, string>): Promise<{ url: string; arn: string }> {
  const out = await sqs.send(
    new CreateQueueCommand({ QueueName: name, ...(attributes ? { Attributes: attributes } : {}) }),
  );
  return { url: out.QueueUrl as string, arn: `arn:aws:sqs:us-east-1:000000000000:${name}` };
}

/** Receives until `count` messages arrived (each received once: a long visibility timeout). */
async function receive(url: string, count: number, timeoutMs = 10_000): Promise<Message[]> {
  const got: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < count && Date.now() < deadline) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 300,
        MessageAttributeNames: ['All'],
      }),
    );
    got.push(...(out.Messages ?? []));
    // Deleting lets a FIFO queue hand out the rest of a message group.
    for (const m of out.Messages ?? [])
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
  }
  return got;
}

async function expectError(promise: Promise<unknown>, name: string, status: number): Promise<void> {
  const err = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  expect(err?.name).toBe(name);
  expect(err?.$metadata?.httpStatusCode).toBe(status);
}

describe('SNS topics (SDK v3, query protocol)', () => {
  it('creates topics idempotently, lists them page by page, keeps attributes and tags, deletes them', async () => {
    const arn = await topic('orders', { DisplayName: 'Orders' });
    expect(arn).toBe('arn:aws:sns:us-east-1:000000000000:orders');
    expect(await topic('orders', { DisplayName: 'Orders' })).toBe(arn);
    await expectError(topic('orders', { DisplayName: 'Other' }), 'InvalidParameterException', 400);
    await expectError(topic('bad name!'), 'InvalidParameterException', 400);
    await expectError(topic('plain.fifo'), 'InvalidParameterException', 400);

    for (let i = 0; i < 104; i++) await topic(`page-${String(i).padStart(3, '0')}`);
    const first = await sns.send(new ListTopicsCommand({}));
    expect(first.Topics).toHaveLength(100);
    expect(first.NextToken).toBeTruthy();
    const second = await sns.send(new ListTopicsCommand({ NextToken: first.NextToken }));
    const all = [...(first.Topics ?? []), ...(second.Topics ?? [])].map((t) => t.TopicArn);
    expect(second.NextToken).toBeUndefined();
    expect(all).toContain(arn);
    expect(new Set(all).size).toBe(all.length);

    await sns.send(
      new SetTopicAttributesCommand({ TopicArn: arn, AttributeName: 'DisplayName', AttributeValue: 'Shop' }),
    );
    const attrs = (await sns.send(new GetTopicAttributesCommand({ TopicArn: arn }))).Attributes ?? {};
    expect(attrs).toMatchObject({
      TopicArn: arn,
      DisplayName: 'Shop',
      Owner: '000000000000',
      SubscriptionsConfirmed: '0',
    });
    expect(JSON.parse(attrs.Policy as string).Statement[0].Resource).toBe(arn);

    await sns.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'team', Value: 'data' }] }));
    expect((await sns.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags).toEqual([
      { Key: 'team', Value: 'data' },
    ]);

    await sns.send(new DeleteTopicCommand({ TopicArn: arn }));
    await expectError(sns.send(new GetTopicAttributesCommand({ TopicArn: arn })), 'NotFoundException', 404);
    await expectError(sns.send(new PublishCommand({ TopicArn: arn, Message: 'x' })), 'NotFoundException', 404);
    await expectError(
      sns.send(new PublishCommand({ TopicArn: 'not-an-arn', Message: 'x' })),
      'InvalidParameterException',
      400,
    );
  });

  it('fans a publish out to a function (Records[].Sns) and to queues as an envelope and raw', async () => {
    const file = join(dir.path, 'fanout.jsonl');
    await server.engine.functions.create({
      name: 'sns-recorder',
      handler: 'index.handler',
      code: { dir: fixturePath('objects/recorder') },
      environment: { COLLECT_FILE: file },
    });
    const arn = await topic('fanout');
    const envelope = await queue('fanout-envelope');
    const raw = await queue('fanout-raw');
    const fnArn = 'arn:aws:lambda:us-east-1:000000000000:function:sns-recorder';
    const fnSub = await sns.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'lambda', Endpoint: fnArn }));
    const envSub = await sns.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'sqs', Endpoint: envelope.arn }));
    await sns.send(
      new SubscribeCommand({
        TopicArn: arn,
        Protocol: 'sqs',
        Endpoint: raw.arn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }));
    expect(listed.Subscriptions?.map((s) => s.Protocol).sort()).toEqual(['lambda', 'sqs', 'sqs']);

    const published = await sns.send(
      new PublishCommand({
        TopicArn: arn,
        Message: 'order 42 shipped',
        Subject: 'shipping',
        MessageAttributes: {
          kind: { DataType: 'String', StringValue: 'shipped' },
          amount: { DataType: 'Number', StringValue: '42' },
        },
      }),
    );
    expect(published.MessageId).toMatch(/^[0-9a-f-]{36}$/);

    const [env] = await receive(envelope.url, 1);
    const body = JSON.parse(env?.Body as string);
    expect(body).toMatchObject({
      Type: 'Notification',
      MessageId: published.MessageId,
      TopicArn: arn,
      Subject: 'shipping',
      Message: 'order 42 shipped',
      SignatureVersion: '1',
      MessageAttributes: { kind: { Type: 'String', Value: 'shipped' }, amount: { Type: 'Number', Value: '42' } },
    });
    expect(new Date(body.Timestamp).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(body.UnsubscribeURL).toContain(encodeURIComponent(envSub.SubscriptionArn as string));

    const [rawMessage] = await receive(raw.url, 1);
    expect(rawMessage?.Body).toBe('order 42 shipped');
    expect(rawMessage?.MessageAttributes?.kind).toMatchObject({ DataType: 'String', StringValue: 'shipped' });

    const event = await eventually(() => {
      try {
        return JSON.parse(readFileSync(file, 'utf8').trim()) as SNSEvent;
      } catch {
        return undefined;
      }
    });
    expect(event.Records).toHaveLength(1);
    expect(event.Records[0]).toMatchObject({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: fnSub.SubscriptionArn,
      Sns: {
        Type: 'Notification',
        MessageId: published.MessageId,
        TopicArn: arn,
        Subject: 'shipping',
        Message: 'order 42 shipped',
        MessageAttributes: { kind: { Type: 'String', Value: 'shipped' }, amount: { Type: 'Number', Value: '42' } },
        SignatureVersion: '1',
        Signature: '',
        SigningCertUrl: '',
      },
    });
    expect(new Date(event.Records[0]?.Sns.Timestamp as string).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const unsubscribe = new URL(event.Records[0]?.Sns.UnsubscribeUrl as string);
    expect(unsubscribe.origin).toBe(new URL(server.url).origin);
    expect(Object.fromEntries(unsubscribe.searchParams)).toEqual({
      Action: 'Unsubscribe',
      SubscriptionArn: fnSub.SubscriptionArn,
    });
  });

  it('picks each protocol its message with MessageStructure json, and publishes batches', async () => {
    const arn = await topic('structured');
    const q = await queue('structured-q');
    await sns.send(
      new SubscribeCommand({
        TopicArn: arn,
        Protocol: 'sqs',
        Endpoint: q.arn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    await sns.send(
      new PublishCommand({
        TopicArn: arn,
        MessageStructure: 'json',
        Message: JSON.stringify({ default: 'for everyone', sqs: 'for queues' }),
      }),
    );
    await expectError(
      sns.send(new PublishCommand({ TopicArn: arn, MessageStructure: 'json', Message: '{"sqs":"x"}' })),
      'InvalidParameterException',
      400,
    );
    const batch = await sns.send(
      new PublishBatchCommand({
        TopicArn: arn,
        PublishBatchRequestEntries: [
          { Id: 'a', Message: 'one' },
          { Id: 'b', Message: '' },
          { Id: 'c', Message: 'three' },
        ],
      }),
    );
    expect(batch.Successful?.map((s) => s.Id)).toEqual(['a', 'c']);
    expect(batch.Failed).toEqual([expect.objectContaining({ Id: 'b', Code: 'InvalidParameter', SenderFault: true })]);
    await expectError(
      sns.send(new PublishBatchCommand({ TopicArn: arn, PublishBatchRequestEntries: [] })),
      'EmptyBatchRequestException',
      400,
    );
    const bodies = (await receive(q.url, 3)).map((m) => m.Body).sort();
    expect(bodies).toEqual(['for queues', 'one', 'three']);
  });

  it('filters by message attributes and by message body with AWS filter policies', async () => {
    const arn = await topic('filtered');
    const policies: Record<string, { policy: unknown; scope?: string }> = {
      exact: { policy: { kind: ['shipped'] } },
      prefix: { policy: { region: [{ prefix: 'eu-' }] } },
      butNot: { policy: { kind: [{ 'anything-but': ['shipped', 'lost'] }] } },
      range: { policy: { amount: [{ numeric: ['>', 10, '<=', 100] }] } },
      missing: { policy: { vip: [{ exists: false }] } },
      either: { policy: { $or: [{ kind: ['lost'] }, { amount: [{ numeric: ['=', 5] }] }] } },
      body: { policy: { order: { status: ['paid'], total: [{ numeric: ['>=', 50] }] } }, scope: 'MessageBody' },
    };
    const queues: Record<string, string> = {};
    for (const [name, { policy, scope }] of Object.entries(policies)) {
      const q = await queue(`filter-${name}`);
      queues[name] = q.url;
      const sub = await sns.send(
        new SubscribeCommand({
          TopicArn: arn,
          Protocol: 'sqs',
          Endpoint: q.arn,
          Attributes: {
            RawMessageDelivery: 'true',
            FilterPolicy: JSON.stringify(policy),
            ...(scope ? { FilterPolicyScope: scope } : {}),
          },
        }),
      );
      if (scope) {
        const attrs = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub.SubscriptionArn }));
        expect(attrs.Attributes).toMatchObject({ FilterPolicyScope: 'MessageBody', RawMessageDelivery: 'true' });
        // A nested policy means nothing to message attributes: SNS refuses the change of scope.
        const change = new SetSubscriptionAttributesCommand({
          SubscriptionArn: sub.SubscriptionArn,
          AttributeName: 'FilterPolicyScope',
          AttributeValue: 'MessageAttributes',
        });
        await expectError(sns.send(change), 'InvalidParameterException', 400);
      }
    }
    const str = (v: string) => ({ DataType: 'String', StringValue: v });
    const num = (v: number) => ({ DataType: 'Number', StringValue: String(v) });
    const messages: Array<{
      Message: string;
      MessageAttributes?: Record<string, { DataType: string; StringValue: string }>;
    }> = [
      { Message: 'm1', MessageAttributes: { kind: str('shipped'), region: str('eu-west-1'), amount: num(50) } },
      {
        Message: 'm2',
        MessageAttributes: { kind: str('lost'), region: str('us-east-1'), amount: num(5), vip: str('y') },
      },
      { Message: 'm3', MessageAttributes: { kind: str('paid'), amount: num(500) } },
      { Message: JSON.stringify({ order: { status: 'paid', total: 75 } }) },
      { Message: JSON.stringify({ order: { status: 'paid', total: 20 } }) },
    ];
    for (const m of messages) await sns.send(new PublishCommand({ TopicArn: arn, ...m }));
    const expected: Record<string, string[]> = {
      exact: ['m1'],
      prefix: ['m1'],
      butNot: ['m3'],
      range: ['m1'],
      // Messages without the attribute (the body-only ones too) match `exists: false`.
      missing: ['m1', 'm3', messages[3]?.Message as string, messages[4]?.Message as string],
      either: ['m2'],
      body: [messages[3]?.Message as string],
    };
    for (const [name, bodies] of Object.entries(expected)) {
      const got = (await receive(queues[name] as string, bodies.length, 3000)).map((m) => m.Body).sort();
      expect(got, name).toEqual([...bodies].sort());
    }
    // Nothing more arrives on any of them.
    for (const name of Object.keys(expected)) {
      const more = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queues[name], WaitTimeSeconds: 0 }));
      expect(more.Messages ?? [], name).toEqual([]);
    }
    const q = await queue('filter-bad');
    await expectError(
      sns.send(
        new SubscribeCommand({
          TopicArn: arn,
          Protocol: 'sqs',
          Endpoint: q.arn,
          Attributes: { FilterPolicy: '{"a":[{"numeric":[">",5,">",7]}]}' },
        }),
      ),
      'InvalidParameterException',
      400,
    );
    await expectError(
      sns.send(
        new SubscribeCommand({ TopicArn: arn, Protocol: 'sqs', Endpoint: q.arn, Attributes: { FilterPolicy: '{' } }),
      ),
      'InvalidParameterException',
      400,
    );
  });

  it('confirms an HTTP endpoint through its SubscribeURL, then POSTs it notifications', async () => {
    const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
    const endpoint = await listen((req, body) => {
      received.push({ headers: req.headers, body });
      return 200;
    });
    try {
      const arn = await topic('webhooks');
      const sub = await sns.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'http', Endpoint: endpoint.url }));
      expect(sub.SubscriptionArn).toBe('pending confirmation');
      const confirmation = await eventually(() =>
        received.find((r) => r.headers['x-amz-sns-message-type'] === 'SubscriptionConfirmation'),
      );
      const message = JSON.parse(confirmation.body);
      expect(message).toMatchObject({ Type: 'SubscriptionConfirmation', TopicArn: arn, Token: expect.any(String) });
      // Not confirmed yet: nothing is delivered.
      await sns.send(new PublishCommand({ TopicArn: arn, Message: 'too early' }));
      const pending = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }));
      expect(pending.Subscriptions?.[0]?.SubscriptionArn).toBe('PendingConfirmation');

      const visit = await fetch(message.SubscribeURL);
      expect(visit.status).toBe(200);
      expect(await visit.text()).toContain('<SubscriptionArn>arn:aws:sns:us-east-1:000000000000:webhooks:');
      await sns.send(new PublishCommand({ TopicArn: arn, Message: 'welcome', Subject: 'hi' }));
      const note = await eventually(() => received.find((r) => r.headers['x-amz-sns-message-type'] === 'Notification'));
      expect(JSON.parse(note.body)).toMatchObject({
        Type: 'Notification',
        Message: 'welcome',
        Subject: 'hi',
        TopicArn: arn,
      });
      expect(note.headers['x-amz-sns-topic-arn']).toBe(arn);
      expect(received.filter((r) => r.body.includes('too early'))).toEqual([]);

      // A second endpoint confirms with ConfirmSubscription (the SDK call).
      const second = await listen((req, body) => {
        received.push({ headers: req.headers, body });
        return 200;
      });
      try {
        await sns.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'http', Endpoint: second.url }));
        const token = await eventually(() => {
          const found = received.filter((r) => r.headers['x-amz-sns-message-type'] === 'SubscriptionConfirmation');
          return found.length === 2 ? (JSON.parse(found[1]?.body as string).Token as string) : undefined;
        });
        await expectError(
          sns.send(new ConfirmSubscriptionCommand({ TopicArn: arn, Token: 'wrong' })),
          'InvalidParameterException',
          400,
        );
        const confirmed = await sns.send(new ConfirmSubscriptionCommand({ TopicArn: arn, Token: token }));
        expect(confirmed.SubscriptionArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:webhooks:/);
        await sns.send(new UnsubscribeCommand({ SubscriptionArn: confirmed.SubscriptionArn }));
        const left = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }));
        expect(left.Subscriptions).toHaveLength(1);
      } finally {
        await second.close();
      }
    } finally {
      await endpoint.close();
    }
  });

  it('keeps FIFO order per message group and drops duplicates', async () => {
    const arn = await topic('ledger.fifo', { FifoTopic: 'true' });
    const q = await queue('ledger.fifo', { FifoQueue: 'true' });
    await sns.send(
      new SubscribeCommand({
        TopicArn: arn,
        Protocol: 'sqs',
        Endpoint: q.arn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    await expectError(sns.send(new PublishCommand({ TopicArn: arn, Message: 'x' })), 'InvalidParameterException', 400);
    const sequence: string[] = [];
    for (let i = 0; i < 12; i++) {
      const out = await sns.send(
        new PublishCommand({
          TopicArn: arn,
          Message: `${i % 2 ? 'b' : 'a'}-${i}`,
          MessageGroupId: i % 2 ? 'b' : 'a',
          MessageDeduplicationId: `d-${i}`,
        }),
      );
      sequence.push(out.SequenceNumber as string);
    }
    expect([...sequence].sort()).toEqual(sequence);
    const again = await sns.send(
      new PublishCommand({ TopicArn: arn, Message: 'a-0', MessageGroupId: 'a', MessageDeduplicationId: 'd-0' }),
    );
    expect(again.SequenceNumber).toBe(sequence[0]);
    const bodies = (await receive(q.url, 12)).map((m) => m.Body as string);
    expect(bodies).toHaveLength(12);
    for (const group of ['a', 'b']) {
      const order = bodies.filter((b) => b.startsWith(group)).map((b) => Number(b.split('-')[1]));
      expect(order).toEqual([...order].sort((x, y) => x - y));
      expect(order).toHaveLength(6);
    }
    const more = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 0 }));
    expect(more.Messages ?? []).toEqual([]);
  });

  it('sends what an endpoint keeps refusing, and what a deleted function cannot take, to the subscription DLQ', async () => {
    let attempts = 0;
    const endpoint = await listen((req, body) => {
      if (req.headers['x-amz-sns-message-type'] === 'SubscriptionConfirmation') {
        void fetch(JSON.parse(body).SubscribeURL);
        return 200;
      }
      attempts += 1;
      return 500;
    });
    try {
      const arn = await topic('flaky');
      const dlq = await queue('flaky-dlq');
      const redrive = JSON.stringify({ deadLetterTargetArn: dlq.arn });
      await sns.send(
        new SubscribeCommand({
          TopicArn: arn,
          Protocol: 'http',
          Endpoint: endpoint.url,
          Attributes: { RedrivePolicy: redrive },
        }),
      );
      await eventually(() => server.engine.topics.listSubscriptions(arn)[0]?.confirmed);
      await sns.send(new PublishCommand({ TopicArn: arn, Message: 'undeliverable' }));
      const [dead] = await receive(dlq.url, 1);
      expect(attempts).toBe(3);
      expect(JSON.parse(dead?.Body as string)).toMatchObject({ Type: 'Notification', Message: 'undeliverable' });
      expect(dead?.MessageAttributes?.ErrorCode?.StringValue).toBe('EndpointRefused');

      await server.engine.functions.create({
        name: 'short-lived',
        handler: 'index.handler',
        code: { dir: fixturePath('objects/recorder') },
      });
      await sns.send(
        new SubscribeCommand({
          TopicArn: arn,
          Protocol: 'lambda',
          Endpoint: 'arn:aws:lambda:us-east-1:000000000000:function:short-lived',
          Attributes: { RedrivePolicy: redrive },
        }),
      );
      await server.engine.functions.delete('short-lived');
      await sns.send(new PublishCommand({ TopicArn: arn, Message: 'no function' }));
      // Both subscriptions fail it: the endpoint after its retries, the function at once.
      const dead2 = await receive(dlq.url, 2);
      expect(dead2.map((m) => JSON.parse(m.Body as string).Message)).toEqual(['no function', 'no function']);
      expect(dead2.map((m) => m.MessageAttributes?.ErrorCode?.StringValue).sort()).toEqual([
        'EndpointRefused',
        'ResourceNotFoundException',
      ]);
    } finally {
      await endpoint.close();
    }
  });

  it('publishes S3 notifications to a topic (TopicConfiguration)', async () => {
    const s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: server.url, forcePathStyle: true });
    try {
      const arn = await topic('uploads');
      const q = await queue('uploads-q');
      await sns.send(new SubscribeCommand({ TopicArn: arn, Protocol: 'sqs', Endpoint: q.arn }));
      server.engine.objects.createBucket('photos');
      await s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: 'photos',
          NotificationConfiguration: {
            TopicConfigurations: [
              {
                Id: 'to-topic',
                TopicArn: arn,
                Events: ['s3:ObjectCreated:*'],
                Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.jpg' }] } },
              },
            ],
          },
        }),
      );
      await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'a/cat.jpg', Body: 'meow' }));
      await s3.send(new PutObjectCommand({ Bucket: 'photos', Key: 'a/notes.txt', Body: 'skip' }));
      const [message] = await receive(q.url, 1);
      const envelope = JSON.parse(message?.Body as string);
      expect(envelope.Subject).toBe('Amazon S3 Notification');
      const records = JSON.parse(envelope.Message).Records;
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: { configurationId: 'to-topic', bucket: { name: 'photos' }, object: { key: 'a/cat.jpg', size: 4 } },
      });
      const more = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, WaitTimeSeconds: 1 }));
      expect(more.Messages ?? []).toEqual([]);
      const missing = s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: 'photos',
          NotificationConfiguration: {
            TopicConfigurations: [
              { TopicArn: 'arn:aws:sns:us-east-1:000000000000:nope', Events: ['s3:ObjectCreated:*'] },
            ],
          },
        }),
      );
      await expect(missing).rejects.toMatchObject({ name: 'InvalidArgument' });
    } finally {
      s3.destroy();
    }
  });

  it("takes an async invocation's failure record as its on-failure destination", async () => {
    const arn = await topic('failures');
    const q = await queue('failures-q');
    await sns.send(
      new SubscribeCommand({
        TopicArn: arn,
        Protocol: 'sqs',
        Endpoint: q.arn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    await server.engine.functions.create({
      name: 'always-fails',
      handler: 'index.handler',
      code: { dir: fixturePath('sns/fail') },
    });
    server.engine.functions.putEventInvokeConfig('always-fails', { maximumRetryAttempts: 0, onFailure: arn });
    await server.engine.invocations.invoke({
      functionName: 'always-fails',
      invocationType: 'Event',
      payload: Buffer.from(JSON.stringify({ id: 'e-1' })),
    });
    const [message] = await receive(q.url, 1, 20_000);
    const record = JSON.parse(message?.Body as string);
    expect(record).toMatchObject({
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 1 },
      requestPayload: { id: 'e-1' },
      responseContext: { functionError: 'Unhandled' },
    });
  });
});

/** An HTTP endpoint on port 0 answering each POST with the status `answer` returns. */
async function listen(
  answer: (req: IncomingMessage, body: string) => number,
): Promise<{ url: string; close(): Promise<void> }> {
  const http: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.statusCode = answer(req, Buffer.concat(chunks).toString('utf8'));
      res.end();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  };
}
