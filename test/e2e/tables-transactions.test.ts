import {
  CreateTableCommand,
  DynamoDBClient,
  type DynamoDBServiceException,
  GetItemCommand,
  PutItemCommand,
  TransactGetItemsCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runAws } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signedFetch } from '../helpers/signed-fetch.js';

let t: TestServer;
let ddb: DynamoDBClient;

beforeAll(async () => {
  t = await startTestServer('ddb-tx', { background: false });
  ddb = new DynamoDBClient({ endpoint: t.url, ...AWS_TEST_CONFIG });
  for (const name of ['accounts', 'audit']) {
    await ddb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
  }
});

afterAll(async () => {
  ddb?.destroy();
  await t?.close();
});

const codeOf = (err: unknown) => (err as DynamoDBServiceException).name;

async function balance(id: string): Promise<number | undefined> {
  const { Item } = await ddb.send(new GetItemCommand({ TableName: 'accounts', Key: { id: { S: id } } }));
  return Item?.balance?.N === undefined ? undefined : Number(Item.balance.N);
}

/** Moves `amount` from one account to another if the source holds enough, and writes an audit entry. */
function transfer(from: string, to: string, amount: number, entry: string): TransactWriteItemsCommandInput {
  return {
    TransactItems: [
      {
        Update: {
          TableName: 'accounts',
          Key: { id: { S: from } },
          UpdateExpression: 'SET balance = balance - :a',
          ConditionExpression: 'balance >= :a',
          ExpressionAttributeValues: { ':a': { N: String(amount) } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Update: {
          TableName: 'accounts',
          Key: { id: { S: to } },
          UpdateExpression: 'ADD balance :a',
          ExpressionAttributeValues: { ':a': { N: String(amount) } },
        },
      },
      { Put: { TableName: 'audit', Item: { id: { S: entry }, amount: { N: String(amount) } } } },
    ],
  };
}

async function streamRecords(table: string): Promise<Array<{ eventName: string; dynamodb: { Keys: unknown } }>> {
  const call = async (action: string, body: unknown) => {
    const res = await signedFetch(
      t.url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDBStreams_20120810.${action}` },
        body: JSON.stringify(body),
      },
      'dynamodb',
    );
    return (await res.json()) as Record<string, never>;
  };
  const { Streams } = await call('ListStreams', { TableName: table });
  const arn = (Streams as Array<{ StreamArn: string }>)[0]?.StreamArn;
  const { StreamDescription } = await call('DescribeStream', { StreamArn: arn });
  const shard = (StreamDescription as { Shards: Array<{ ShardId: string }> }).Shards[0]?.ShardId;
  const { ShardIterator } = await call('GetShardIterator', {
    StreamArn: arn,
    ShardId: shard,
    ShardIteratorType: 'TRIM_HORIZON',
  });
  const { Records } = await call('GetRecords', { ShardIterator });
  return Records;
}

describe('transactions', () => {
  it('commits every write of a transaction and emits a stream record for each', async () => {
    await ddb.send(new PutItemCommand({ TableName: 'accounts', Item: { id: { S: 'alice' }, balance: { N: '100' } } }));
    await ddb.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          ...(transfer('alice', 'bob', 30, 't1').TransactItems ?? []),
          {
            ConditionCheck: {
              TableName: 'accounts',
              Key: { id: { S: 'carol' } },
              ConditionExpression: 'attribute_not_exists(id)',
            },
          },
        ],
      }),
    );
    expect(await balance('alice')).toBe(70);
    expect(await balance('bob')).toBe(30);
    // The condition check wrote nothing.
    expect(await balance('carol')).toBeUndefined();
    const accounts = await streamRecords('accounts');
    expect(accounts.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'INSERT']);
    const audit = await streamRecords('audit');
    expect(audit.map((r) => [r.eventName, r.dynamodb.Keys])).toEqual([['INSERT', { id: { S: 't1' } }]]);

    const { Responses } = await ddb.send(
      new TransactGetItemsCommand({
        TransactItems: [
          { Get: { TableName: 'accounts', Key: { id: { S: 'alice' } } } },
          { Get: { TableName: 'accounts', Key: { id: { S: 'nobody' } } } },
          { Get: { TableName: 'audit', Key: { id: { S: 't1' } }, ProjectionExpression: 'amount' } },
        ],
      }),
    );
    expect(Responses).toEqual([
      { Item: { id: { S: 'alice' }, balance: { N: '70' } } },
      {},
      { Item: { amount: { N: '30' } } },
    ]);
  });

  it('cancels the whole transaction with a reason per item, in order', async () => {
    const err = await ddb.send(new TransactWriteItemsCommand(transfer('alice', 'bob', 500, 't2'))).catch((e) => e);
    expect(err).toBeInstanceOf(TransactionCanceledException);
    expect(err.message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None, None]',
    );
    expect((err as TransactionCanceledException).CancellationReasons).toEqual([
      {
        Code: 'ConditionalCheckFailed',
        Message: 'The conditional request failed',
        Item: { id: { S: 'alice' }, balance: { N: '70' } },
      },
      { Code: 'None' },
      { Code: 'None' },
    ]);
    expect(await balance('alice')).toBe(70);
    expect(await balance('bob')).toBe(30);
    const audit = await ddb.send(new GetItemCommand({ TableName: 'audit', Key: { id: { S: 't2' } } }));
    expect(audit.Item).toBeUndefined();
    expect((await streamRecords('audit')).length).toBe(1);
  });

  it('applies a request once per ClientRequestToken', async () => {
    const input = { ...transfer('alice', 'bob', 10, 't3'), ClientRequestToken: 'token-1' };
    await ddb.send(new TransactWriteItemsCommand(input));
    await ddb.send(new TransactWriteItemsCommand(input));
    expect(await balance('alice')).toBe(60);
    expect(await balance('bob')).toBe(40);
    const mismatch = await ddb
      .send(new TransactWriteItemsCommand({ ...transfer('alice', 'bob', 11, 't4'), ClientRequestToken: 'token-1' }))
      .catch((e) => e);
    expect(codeOf(mismatch)).toBe('IdempotentParameterMismatchException');
    expect(await balance('alice')).toBe(60);
  });

  it('rejects two operations on one item and more than 100 items', async () => {
    const twice = await ddb
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: 'accounts', Item: { id: { S: 'dave' } } } },
            { Delete: { TableName: 'accounts', Key: { id: { S: 'dave' } } } },
          ],
        }),
      )
      .catch((e) => e);
    expect(codeOf(twice)).toBe('ValidationException');
    expect(twice.message).toBe('Transaction request cannot include multiple operations on one item');
    const many = await ddb
      .send(
        new TransactWriteItemsCommand({
          TransactItems: Array.from({ length: 101 }, (_, i) => ({
            Put: { TableName: 'accounts', Item: { id: { S: `bulk${i}` } } },
          })),
        }),
      )
      .catch((e) => e);
    expect(codeOf(many)).toBe('ValidationException');
    expect(await balance('dave')).toBeUndefined();
  });

  it('works from the AWS CLI, which prints the cancellation reasons', async () => {
    const items = JSON.stringify(transfer('alice', 'erin', 5, 't5').TransactItems);
    await runAws(t.url, t.dir, 'dynamodb', 'transact-write-items', '--transact-items', items);
    expect(await balance('erin')).toBe(5);
    const failing = JSON.stringify(transfer('erin', 'alice', 50, 't6').TransactItems);
    const err = await runAws(t.url, t.dir, 'dynamodb', 'transact-write-items', '--transact-items', failing).catch(
      (e) => e,
    );
    expect(String(err.stderr)).toMatch(/TransactionCanceledException/);
    expect(String(err.stderr)).toMatch(/ConditionalCheckFailed, None, None/);
    expect(await balance('erin')).toBe(5);
  });
});
