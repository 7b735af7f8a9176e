import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAws, runAwsText, runLambdata } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer('sns-cli');
});
afterAll(async () => {
  await t?.close();
});

const aws = (...args: string[]) => runAws(t.url, t.dir, ...args);

describe('SNS through the AWS CLI', () => {
  it('creates a topic, subscribes a queue with a filter policy, publishes and receives', async () => {
    const { TopicArn } = (await aws('sns', 'create-topic', '--name', 'alerts')) as { TopicArn: string };
    expect(TopicArn).toBe('arn:aws:sns:us-east-1:000000000000:alerts');
    const { QueueUrl } = (await aws('sqs', 'create-queue', '--queue-name', 'alerts-q')) as { QueueUrl: string };
    const sub = await aws(
      'sns',
      'subscribe',
      '--topic-arn',
      TopicArn,
      '--protocol',
      'sqs',
      '--notification-endpoint',
      'arn:aws:sqs:us-east-1:000000000000:alerts-q',
      '--attributes',
      JSON.stringify({ RawMessageDelivery: 'true', FilterPolicy: JSON.stringify({ level: ['error'] }) }),
    );
    expect(sub?.SubscriptionArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:alerts:[0-9a-f-]{36}$/);

    const attr = (level: string) => JSON.stringify({ level: { DataType: 'String', StringValue: level } });
    await aws(
      'sns',
      'publish',
      '--topic-arn',
      TopicArn,
      '--message',
      'disk full',
      '--message-attributes',
      attr('error'),
    );
    await aws('sns', 'publish', '--topic-arn', TopicArn, '--message', 'all fine', '--message-attributes', attr('info'));
    const batch = await aws(
      'sns',
      'publish-batch',
      '--topic-arn',
      TopicArn,
      '--publish-batch-request-entries',
      JSON.stringify([
        { Id: '1', Message: 'cpu hot', MessageAttributes: { level: { DataType: 'String', StringValue: 'error' } } },
        { Id: '2', Message: 'quiet' },
      ]),
    );
    expect(batch?.Successful).toHaveLength(2);

    const got: string[] = [];
    for (let i = 0; i < 10 && got.length < 2; i++) {
      const out = await aws(
        'sqs',
        'receive-message',
        '--queue-url',
        QueueUrl,
        '--max-number-of-messages',
        '10',
        '--wait-time-seconds',
        '1',
      );
      got.push(...((out?.Messages ?? []) as Array<{ Body: string }>).map((m) => m.Body));
    }
    expect(got.sort()).toEqual(['cpu hot', 'disk full']);

    const topics = await aws('sns', 'list-topics');
    expect(topics?.Topics).toEqual([{ TopicArn }]);
    const subs = await aws('sns', 'list-subscriptions-by-topic', '--topic-arn', TopicArn);
    expect(subs?.Subscriptions).toEqual([
      expect.objectContaining({ Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:000000000000:alerts-q', TopicArn }),
    ]);
    const attrs = await aws('sns', 'get-subscription-attributes', '--subscription-arn', sub?.SubscriptionArn);
    expect(attrs?.Attributes).toMatchObject({ RawMessageDelivery: 'true', PendingConfirmation: 'false' });
    await aws('sns', 'unsubscribe', '--subscription-arn', sub?.SubscriptionArn);
    await aws('sns', 'delete-topic', '--topic-arn', TopicArn);
    expect(t.engine.topics.listTopics()).toEqual([]);
  }, 240_000);

  it('answers errors in the SNS shape', async () => {
    const missing = runAwsText(
      t.url,
      t.dir,
      'sns',
      'get-topic-attributes',
      '--topic-arn',
      'arn:aws:sns:us-east-1:000000000000:nope',
    );
    await expect(missing).rejects.toMatchObject({ stderr: expect.stringContaining('(NotFound)') });
    const bad = runAwsText(t.url, t.dir, 'sns', 'create-topic', '--name', 'no spaces');
    await expect(bad).rejects.toMatchObject({ stderr: expect.stringContaining('(InvalidParameter)') });
    const unsupported = runAwsText(t.url, t.dir, 'sns', 'list-platform-applications');
    await expect(unsupported).rejects.toMatchObject({ stderr: expect.stringContaining('(InvalidAction)') });
  }, 120_000);
});

describe('lambdata topics', () => {
  const cli = async (...args: string[]) => {
    const { code, stdout, stderr } = await runLambdata(t.url, ...args);
    if (code !== 0) throw new Error(`lambdata ${args.join(' ')} exited ${code}: ${stderr}`);
    return stdout;
  };

  it('creates a topic, subscribes a queue, publishes, lists and removes', async () => {
    expect(await cli('topics', 'create', 'builds')).toBe('arn:aws:sns:us-east-1:000000000000:builds\n');
    t.engine.queues.createQueue('builds-q');
    expect(
      await cli('topics', 'subscribe', 'builds', '--queue', 'builds-q', '--raw', '--filter', '{"status":["failed"]}'),
    ).toMatch(/^arn:aws:sns:us-east-1:000000000000:builds:[0-9a-f-]{36}\n$/);
    expect(await cli('topics', 'publish', 'builds', 'build 7 failed', '--attr', 'status=failed')).toMatch(
      /^[0-9a-f-]{36}\n$/,
    );
    await cli('topics', 'publish', 'builds', 'build 8 passed', '--attr', 'status=passed');
    expect(await cli('queues', 'receive', 'builds-q', '--max', '10', '--wait', '1', '--delete')).toBe(
      'build 7 failed\n',
    );
    expect(await cli('topics', 'ls')).toMatch(/builds\s+no\s+1\s+0\s+arn:aws:sns:us-east-1:000000000000:builds/);
    expect(await cli('topics', 'subscriptions', 'builds')).toMatch(
      /sqs\s+arn:aws:sqs:us-east-1:000000000000:builds-q\s+confirmed\s+yes\s+\{"status":\["failed"\]\}/,
    );
    const bad = await runLambdata(t.url, 'topics', 'subscribe', 'builds', '--queue', 'x', '--url', 'http://a');
    expect(bad.code).toBe(2);
    const missing = await runLambdata(t.url, 'topics', 'publish', 'nope', 'hi');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('Topic does not exist');
    await cli('topics', 'rm', 'builds');
    expect(t.engine.topics.listTopics()).toEqual([]);
  }, 120_000);
});
