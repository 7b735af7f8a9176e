import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/index.js';
import type { Engine } from '../../src/engine.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);

describe('SQS API through @aws-sdk/client-sqs', () => {
  let t: TestServer;
  let engine: Engine;
  let server: RunningServer;
  let sqs: SQSClient;

  beforeAll(async () => {
    t = await startTestServer('sqs');
    ({ engine, server } = t);
    sqs = new SQSClient({
      endpoint: server.url,
      ...AWS_TEST_CONFIG,
    });
  });

  afterAll(async () => {
    sqs?.destroy();
    await t?.close();
  });

  it('sends, receives with attributes and deletes', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'basic' }));
    expect(QueueUrl).toMatch(/\/000000000000\/basic$/);
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'basic' }))).QueueUrl).toBe(QueueUrl);
    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: 'hello',
        MessageAttributes: {
          color: { DataType: 'String', StringValue: 'blue' },
          n: { DataType: 'Number', StringValue: '7' },
        },
      }),
    );
    // The SDK itself checks MD5OfMessageBody and MD5OfMessageAttributes against what it sent.
    expect(sent.MD5OfMessageBody).toBe('5d41402abc4b2a76b9719d911017c592');
    const got = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'] }),
    );
    expect(got.Messages).toHaveLength(1);
    const [message] = got.Messages ?? [];
    expect(message?.Body).toBe('hello');
    expect(message?.MessageId).toBe(sent.MessageId);
    expect(message?.MessageAttributes?.color?.StringValue).toBe('blue');
    expect(message?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(message?.Attributes?.ApproximateReceiveCount).toBe('1');
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    expect(attrs.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('1');
    expect(attrs.Attributes?.QueueArn).toBe('arn:aws:sqs:us-east-1:000000000000:basic');
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message?.ReceiptHandle }));
    const after = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ['ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessages'],
      }),
    );
    expect(after.Attributes).toEqual({ ApproximateNumberOfMessagesNotVisible: '0', ApproximateNumberOfMessages: '0' });
    expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls).toContain(QueueUrl);
  });

  it('reports a missing queue as QueueDoesNotExist', async () => {
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'nope' }))).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
  });

  it('long polling returns as soon as a message is sent', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'longpoll' }));
    const started = Date.now();
    const receiving = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
    setTimeout(() => void sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'late' })), 300);
    const got = await receiving;
    expect(got.Messages?.[0]?.Body).toBe('late');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('redelivers after the visibility timeout and redrives to the DLQ after maxReceiveCount', async () => {
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'work-dlq' }));
    const dlqArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'work',
        Attributes: {
          VisibilityTimeout: '1',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
        },
      }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }));
    const first = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    expect(first.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('1');
    // Invisible now: an immediate receive finds nothing.
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
    // Long polling wakes when the visibility timeout ends.
    const second = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5, AttributeNames: ['All'] }));
    expect(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl,
        ReceiptHandle: second.Messages?.[0]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    // Third receive: past maxReceiveCount, so it moves to the DLQ instead.
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.QueueUrl }));
    expect(dead.Messages?.[0]?.Body).toBe('poison');
  });

  it('keeps FIFO group order, blocks a group in flight, and deduplicates', async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'orders.fifo',
        Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'true' },
      }),
    );
    const a1 = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a1', MessageGroupId: 'a' }));
    const dup = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a1', MessageGroupId: 'a' }));
    expect(dup.MessageId).toBe(a1.MessageId);
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: '1', MessageBody: 'a2', MessageGroupId: 'a' },
          { Id: '2', MessageBody: 'b1', MessageGroupId: 'b' },
          { Id: '3', MessageBody: 'b2', MessageGroupId: 'b', MessageDeduplicationId: 'x' },
        ],
      }),
    );
    const first = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, AttributeNames: ['All'] }),
    );
    expect(first.Messages?.map((m) => m.Body)).toEqual(['a1']);
    expect(first.Messages?.[0]?.Attributes?.MessageGroupId).toBe('a');
    expect(first.Messages?.[0]?.Attributes?.SequenceNumber).toMatch(/^\d+$/);
    // Group a is blocked while a1 is in flight; only group b is handed out, in order.
    const next = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(next.Messages?.map((m) => m.Body)).toEqual(['b1', 'b2']);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: [first, next]
          .flatMap((r) => r.Messages ?? [])
          .map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    const rest = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(rest.Messages?.map((m) => m.Body)).toEqual(['a2']);
  });

  it('speaks the query protocol with XML answers', async () => {
    // Query-protocol requests as older SDKs send them: form-encoded, SigV4-signed.
    const signer = new SignatureV4({
      service: 'sqs',
      ...AWS_TEST_CONFIG,
      sha256: Sha256,
    });
    const query = async (params: Record<string, string>, path = '/') => {
      const url = new URL(`${server.url}${path}`);
      const body = new URLSearchParams({ Version: '2012-11-05', ...params }).toString();
      const signed = await signer.sign({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: url.pathname,
        query: {},
        headers: { host: url.host, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      const res = await fetch(url, { method: 'POST', headers: signed.headers, body });
      return { status: res.status, xml: await res.text() };
    };
    const created = await query({
      Action: 'CreateQueue',
      QueueName: 'xmlq',
      'Attribute.1.Name': 'VisibilityTimeout',
      'Attribute.1.Value': '7',
    });
    expect(created.xml).toMatch(
      /<CreateQueueResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><CreateQueueResult><QueueUrl>http:\/\/[^<]+\/000000000000\/xmlq<\/QueueUrl>/,
    );
    const sent = await query(
      {
        Action: 'SendMessage',
        MessageBody: 'x&y',
        'MessageAttribute.1.Name': 'a',
        'MessageAttribute.1.Value.DataType': 'String',
        'MessageAttribute.1.Value.StringValue': 'b',
      },
      '/000000000000/xmlq',
    );
    expect(sent.xml).toContain(`<MD5OfMessageBody>${createHash('md5').update('x&y').digest('hex')}</MD5OfMessageBody>`);
    const got = await query({
      Action: 'ReceiveMessage',
      QueueUrl: `${server.url}/000000000000/xmlq`,
      'AttributeName.1': 'All',
      'MessageAttributeName.1': 'All',
    });
    expect(got.xml).toContain('<Body>x&amp;y</Body>');
    expect(got.xml).toContain('<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>');
    expect(got.xml).toContain(
      '<MessageAttribute><Name>a</Name><Value><DataType>String</DataType><StringValue>b</StringValue></Value></MessageAttribute>',
    );
    const attrs = await query({
      Action: 'GetQueueAttributes',
      QueueUrl: `${server.url}/000000000000/xmlq`,
      'AttributeName.1': 'VisibilityTimeout',
    });
    expect(attrs.xml).toContain('<Attribute><Name>VisibilityTimeout</Name><Value>7</Value></Attribute>');
    const missing = await query({ Action: 'GetQueueUrl', QueueName: 'nope' });
    expect(missing.status).toBe(400);
    expect(missing.xml).toMatch(
      /<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>AWS.SimpleQueueService.NonExistentQueue<\/Code>/,
    );
  });

  it('long polls through the native API too', async () => {
    const api = `${server.url}/_lambdata/queues/native`;
    expect(
      (await fetch(api, { method: 'PUT', body: '{}', headers: { 'content-type': 'application/json' } })).status,
    ).toBe(201);
    const started = Date.now();
    const polling = fetch(`${api}/messages?max=5&wait=10`).then((r) => r.json());
    setTimeout(() => {
      void fetch(`${api}/messages`, {
        method: 'POST',
        body: JSON.stringify({ body: 'ping' }),
        headers: { 'content-type': 'application/json' },
      });
    }, 200);
    const { messages } = await polling;
    expect(messages.map((m: { body: string }) => m.body)).toEqual(['ping']);
    expect(Date.now() - started).toBeLessThan(5000);
    const handle = encodeURIComponent(messages[0].receiptHandle);
    expect((await fetch(`${api}/messages/${handle}`, { method: 'DELETE' })).status).toBe(200);
    expect(engine.queues.depth('native')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('answers the aws CLI', async () => {
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
    };
    const aws = (...args: string[]) =>
      run('aws', ['--endpoint-url', server.url, 'sqs', ...args, '--output', 'json'], { env });
    const created = JSON.parse((await aws('create-queue', '--queue-name', 'cli-q')).stdout);
    expect(created.QueueUrl).toMatch(/\/cli-q$/);
    await aws(
      'send-message',
      '--queue-url',
      created.QueueUrl,
      '--message-body',
      'from cli',
      '--message-attributes',
      'k={DataType=String,StringValue=v}',
    );
    const got = JSON.parse(
      (
        await aws(
          'receive-message',
          '--queue-url',
          created.QueueUrl,
          '--message-attribute-names',
          'All',
          '--attribute-names',
          'All',
        )
      ).stdout,
    );
    expect(got.Messages[0].Body).toBe('from cli');
    expect(got.Messages[0].MessageAttributes.k.StringValue).toBe('v');
    expect(engine.queues.depth('cli-q').inFlight).toBe(1);
  });
});
