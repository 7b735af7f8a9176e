import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runLambdata } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { changeLines, copyTemplateFixture } from '../helpers/templates.js';

let t: TestServer;
const copy = copyTemplateFixture('fan-in');
const clients: Array<{ destroy(): void }> = [];

beforeAll(async () => {
  t = await startTestServer('templates-events');
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await t?.close();
  copy.remove();
});

function client<T extends { destroy(): void }>(make: new (config: object) => T, extra: object = {}): T {
  const made = new make({ ...AWS_TEST_CONFIG, endpoint: t.url, ...extra });
  clients.push(made);
  return made;
}

describe('SQS, DynamoDB stream and SNS events from a SAM template', () => {
  it('invokes the function from each source, and drops the subscription the template drops', async () => {
    const template = join(copy.dir, 'template.yaml');
    const out = await runLambdata(t.url, 'deploy', '--template', template, '--stack-name', 'fan');
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(changeLines(out.stdout)).toEqual(
      expect.arrayContaining([
        'created queue fan-Inbox',
        'created table fan-Orders',
        'created topic fan-Alerts',
        'created mapping fan-Recorder ← queue fan-Inbox',
        'created mapping fan-Recorder ← table fan-Orders',
        'created subscription fan-Recorder ← fan-Alerts',
      ]),
    );

    const s3 = client(S3Client, { forcePathStyle: true });
    const sqs = client(SQSClient);
    const ddb = client(DynamoDBClient);
    const sns = client(SNSClient);
    const queueUrl = `${t.url}/000000000000/fan-Inbox`;
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'parcel' }));
    await ddb.send(new PutItemCommand({ TableName: 'fan-Orders', Item: { id: { S: 'order-7' } } }));
    await sns.send(
      new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:fan-Alerts', Message: 'disk-full' }),
    );
    const expected = ['aws:dynamodb/order-7', 'aws:sns/disk-full', 'aws:sqs/parcel'];
    let keys: string[] = [];
    const deadline = Date.now() + 30_000;
    while (keys.length < expected.length && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'fan-records' }));
      keys = (listed.Contents ?? []).map((o) => o.Key as string);
    }
    expect(keys.sort()).toEqual(expected);

    // Without its SNS event the function is no longer subscribed; the topic stays.
    const text = readFileSync(template, 'utf8');
    writeFileSync(template, text.slice(0, text.indexOf('        FromTopic:')));
    const again = await runLambdata(t.url, 'deploy', '--template', template, '--stack-name', 'fan');
    expect(again.code).toBe(0);
    expect(changeLines(again.stdout).filter((line) => !line.startsWith('unchanged '))).toEqual([
      expect.stringMatching(/^deleted subscription arn:aws:sns:us-east-1:000000000000:fan-Alerts:/),
    ]);
    expect(t.engine.topics.listSubscriptions()).toEqual([]);
    expect(t.engine.topics.listTopics().map((topic) => topic.name)).toEqual(['fan-Alerts']);
  });
});
