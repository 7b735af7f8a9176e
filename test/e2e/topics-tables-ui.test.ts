/**
 * The Topics and Tables pages in headless Chromium against `lambdata serve`: a topic made with the
 * SNS SDK shows its subscriptions, and a message published from the page reaches the subscribed
 * queue; a table made with the DynamoDB SDK shows its keys, its index and its items, and the query
 * box answers one partition of the table and of the index.
 */
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let browser: Browser;
let page: Page;
let sns: SNSClient;
let sqs: SQSClient;
let ddb: DynamoDBClient;
const pageErrors: string[] = [];

beforeAll(async () => {
  server = await startTestServer('topics-tables-ui');
  sns = new SNSClient({ ...AWS_TEST_CONFIG, endpoint: server.url });
  sqs = new SQSClient({ ...AWS_TEST_CONFIG, endpoint: server.url });
  ddb = new DynamoDBClient({ ...AWS_TEST_CONFIG, endpoint: server.url });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (err) => pageErrors.push(err.message));
}, 120_000);

afterAll(async () => {
  expect(pageErrors).toEqual([]);
  sns?.destroy();
  sqs?.destroy();
  ddb?.destroy();
  await browser?.close();
  await server?.close();
});

describe('Topics and Tables pages in a real browser', () => {
  it('lists a topic, shows its subscription, and publishes from the page to the subscribed queue', async () => {
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'orders' }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'orders-audit' }));
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'sqs',
        Endpoint: attrs.Attributes?.QueueArn,
        Attributes: { RawMessageDelivery: 'true' },
      }),
    );
    await page.goto(`${server.url}/_lambdata/ui/#/topics`);
    const row = page.locator('#topics tbody tr', { hasText: 'orders' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('td').nth(2).textContent()).toBe('1');
    await row.locator('a').click();
    const sub = page.locator('#subscriptions tbody tr');
    await expect.poll(() => sub.count()).toBe(1);
    expect(await sub.locator('td').allTextContents()).toEqual([
      'sqs',
      attrs.Attributes?.QueueArn,
      'confirmed',
      'yes',
      '—',
    ]);
    await page.fill('#publish-message', 'sent from the page');
    await page.click('form button[type=submit]');
    await expect
      .poll(() => page.locator('#publish-outcome').textContent())
      .toMatch(/^Published message [0-9a-f-]{36}$/);
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5 }));
    expect(got.Messages?.map((m) => m.Body)).toEqual(['sent from the page']);
  });

  it('shows a table with its keys, index and items, and queries a partition of the table and of the index', async () => {
    await ddb.send(
      new CreateTableCommand({
        TableName: 'sessions',
        KeySchema: [
          { AttributeName: 'user', KeyType: 'HASH' },
          { AttributeName: 'at', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'user', AttributeType: 'S' },
          { AttributeName: 'at', AttributeType: 'N' },
          { AttributeName: 'page', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'by-page',
            KeySchema: [{ AttributeName: 'page', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const rows = [
      ['ann', 1, '/'],
      ['ann', 2, '/docs'],
      ['bob', 3, '/docs'],
    ] as const;
    for (const [user, at, p] of rows)
      await ddb.send(
        new PutItemCommand({
          TableName: 'sessions',
          Item: { user: { S: user }, at: { N: String(at) }, page: { S: p } },
        }),
      );
    await page.goto(`${server.url}/_lambdata/ui/#/tables`);
    const row = page.locator('#tables tbody tr', { hasText: 'sessions' });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('td').allTextContents()).toEqual(['sessions', 'user (partition), at (sort)', '3', 'off']);
    await row.locator('a').click();
    await expect.poll(() => page.locator('#items tbody tr').count()).toBe(3);
    expect(await page.locator('#table').textContent()).toContain('by-page');
    await page.fill('#query-key', '{"user": "ann"}');
    await page.click('#table form button[type=submit]');
    await expect.poll(() => page.locator('#items tbody tr').count()).toBe(2);
    await page.selectOption('#query-index', 'by-page');
    await page.fill('#query-key', '{"page": "/docs"}');
    await page.click('#table form button[type=submit]');
    // The user query before it also answered 2 items: wait for the index's answer (bob's row) itself.
    const rowsText = () =>
      page.locator('#items tbody tr').evaluateAll((trs) => trs.map((tr) => tr.textContent).join(' '));
    await expect.poll(rowsText).toContain('"bob"');
    expect(await page.locator('#items caption').textContent()).toBe('2 items');
    expect(await rowsText()).toContain('/docs');
    expect(await rowsText()).not.toContain('"/"');
    // A key that is not the partition key is refused with the server's message, on the page.
    await page.fill('#query-key', '{"nope": 1}');
    await page.click('#table form button[type=submit]');
    await expect.poll(() => page.locator('#items .error').textContent()).toMatch(/partition key page/);
  });
});
