import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBServiceException,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/index.js';
import type { Engine } from '../../src/engine.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signedFetch } from '../helpers/signed-fetch.js';

let t: TestServer;
let engine: Engine;
let server: RunningServer;
let ddb: DynamoDBClient;

beforeAll(async () => {
  t = await startTestServer('ddb', { background: false });
  ({ engine, server } = t);
  ddb = new DynamoDBClient({
    endpoint: server.url,
    ...AWS_TEST_CONFIG,
  });
});

afterAll(async () => {
  ddb?.destroy();
  await t?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: raw wire JSON, asserted field by field
type Wire = Record<string, any>;

/** DynamoDB Streams over the raw JSON 1.0 protocol (its SDK client is not installed here). */
async function streamsCall(action: string, body: unknown): Promise<Wire> {
  const res = await signedFetch(
    server.url,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDBStreams_20120810.${action}` },
      body: JSON.stringify(body),
    },
    'dynamodb',
  );
  const json = (await res.json()) as Wire;
  if (!res.ok) throw new Error(`${json.__type}: ${json.message}`);
  return json;
}

const codeOf = (err: unknown) => (err as DynamoDBServiceException).name;

async function createTable(name: string, sort?: { name: string; type: 'S' | 'N' }, stream?: string) {
  await ddb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        ...(sort ? [{ AttributeName: sort.name, KeyType: 'RANGE' as const }] : []),
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        ...(sort ? [{ AttributeName: sort.name, AttributeType: sort.type }] : []),
      ],
      ...(stream
        ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream as 'NEW_AND_OLD_IMAGES' } }
        : {}),
    }),
  );
}

describe('dynamodb wire API', () => {
  it('creates, describes, lists and deletes tables', async () => {
    await createTable('people');
    const dup = await createTable('people').catch((e) => e);
    expect(codeOf(dup)).toBe('ResourceInUseException');
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'people' }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(Table?.CreationDateTime).toBeInstanceOf(Date);
    expect((await ddb.send(new ListTablesCommand({}))).TableNames).toContain('people');
    await ddb.send(new DeleteTableCommand({ TableName: 'people' }));
    const gone = await ddb.send(new DescribeTableCommand({ TableName: 'people' })).catch((e) => e);
    expect(codeOf(gone)).toBe('ResourceNotFoundException');
    expect((gone as DynamoDBServiceException).$metadata.httpStatusCode).toBe(400);
  });

  it('puts, gets, updates and deletes items with conditions and return values', async () => {
    await createTable('crud');
    const item = {
      pk: { S: 'a' },
      name: { S: 'Ada' },
      tags: { SS: ['x'] },
      n: { N: '1.50' },
      doc: { M: { list: { L: [{ N: '1' }] } } },
    };
    await ddb.send(new PutItemCommand({ TableName: 'crud', Item: item }));
    const got = await ddb.send(new GetItemCommand({ TableName: 'crud', Key: { pk: { S: 'a' } } }));
    expect(got.Item).toEqual({ ...item, n: { N: '1.5' } });
    const projected = await ddb.send(
      new GetItemCommand({
        TableName: 'crud',
        Key: { pk: { S: 'a' } },
        ProjectionExpression: '#n, doc.list[0]',
        ExpressionAttributeNames: { '#n': 'name' },
      }),
    );
    expect(projected.Item).toEqual({ name: { S: 'Ada' }, doc: { M: { list: { L: [{ N: '1' }] } } } });

    const exists = await ddb
      .send(new PutItemCommand({ TableName: 'crud', Item: item, ConditionExpression: 'attribute_not_exists(pk)' }))
      .catch((e) => e);
    expect(codeOf(exists)).toBe('ConditionalCheckFailedException');

    const updated = await ddb.send(
      new UpdateItemCommand({
        TableName: 'crud',
        Key: { pk: { S: 'a' } },
        UpdateExpression:
          'SET n = n + :one, visits = if_not_exists(visits, :zero) + :one, doc.list = list_append(doc.list, :more) REMOVE #name ADD tags :t DELETE tags :x',
        ConditionExpression: 'begins_with(#name, :A) AND contains(tags, :xs) AND n BETWEEN :zero AND :two',
        ExpressionAttributeNames: { '#name': 'name' },
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':zero': { N: '0' },
          ':two': { N: '2' },
          ':more': { L: [{ S: 'two' }] },
          ':t': { SS: ['y', 'z'] },
          ':x': { SS: ['x'] },
          ':A': { S: 'A' },
          ':xs': { S: 'x' },
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(updated.Attributes).toEqual({
      pk: { S: 'a' },
      n: { N: '2.5' },
      visits: { N: '1' },
      tags: { SS: ['y', 'z'] },
      doc: { M: { list: { L: [{ N: '1' }, { S: 'two' }] } } },
    });
    const keyChange = await ddb
      .send(
        new UpdateItemCommand({
          TableName: 'crud',
          Key: { pk: { S: 'a' } },
          UpdateExpression: 'SET pk = :v',
          ExpressionAttributeValues: { ':v': { S: 'b' } },
        }),
      )
      .catch((e) => e);
    expect(codeOf(keyChange)).toBe('ValidationException');
    const badExpr = await ddb
      .send(new UpdateItemCommand({ TableName: 'crud', Key: { pk: { S: 'a' } }, UpdateExpression: 'SET = 1' }))
      .catch((e) => e);
    expect(codeOf(badExpr)).toBe('ValidationException');

    const old = await ddb.send(
      new DeleteItemCommand({
        TableName: 'crud',
        Key: { pk: { S: 'a' } },
        ConditionExpression: 'NOT attribute_exists(missing) OR visits > :big',
        ExpressionAttributeValues: { ':big': { N: '100' } },
        ReturnValues: 'ALL_OLD',
      }),
    );
    expect(old.Attributes?.visits).toEqual({ N: '1' });
    expect((await ddb.send(new GetItemCommand({ TableName: 'crud', Key: { pk: { S: 'a' } } }))).Item).toBeUndefined();
  });

  it('keeps atomic counters exact under concurrent ADDs', async () => {
    await createTable('counters');
    await Promise.all(
      Array.from({ length: 100 }, () =>
        ddb.send(
          new UpdateItemCommand({
            TableName: 'counters',
            Key: { pk: { S: 'hits' } },
            UpdateExpression: 'ADD n :one',
            ExpressionAttributeValues: { ':one': { N: '1' } },
          }),
        ),
      ),
    );
    const { Item } = await ddb.send(new GetItemCommand({ TableName: 'counters', Key: { pk: { S: 'hits' } } }));
    expect(Item?.n).toEqual({ N: '100' });
  });

  it('queries in numeric sort order, both directions, with key conditions, filters and pagination', async () => {
    await createTable('events', { name: 'ts', type: 'N' });
    const numbers = ['-10', '-2.5', '0', '1', '2', '9', '10', '100', '1e3', '0.5'];
    await ddb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          events: numbers.map((n) => ({
            PutRequest: { Item: { pk: { S: 'u1' }, ts: { N: n }, even: { BOOL: Number(n) % 2 === 0 } } },
          })),
        },
      }),
    );
    await ddb.send(new PutItemCommand({ TableName: 'events', Item: { pk: { S: 'u2' }, ts: { N: '1' } } }));
    const sorted = [...numbers]
      .map(Number)
      .sort((a, b) => a - b)
      .map(String);
    const all: string[] = [];
    let start: Record<string, never> | undefined;
    let pages = 0;
    do {
      const out = await ddb.send(
        new QueryCommand({
          TableName: 'events',
          KeyConditionExpression: 'pk = :u',
          ExpressionAttributeValues: { ':u': { S: 'u1' } },
          Limit: 3,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      all.push(...(out.Items ?? []).map((i) => String(Number(i.ts?.N))));
      start = out.LastEvaluatedKey as typeof start;
      pages++;
    } while (start);
    expect(all).toEqual(sorted);
    expect(pages).toBe(4);

    const reverse = await ddb.send(
      new QueryCommand({
        TableName: 'events',
        KeyConditionExpression: 'pk = :u AND ts BETWEEN :lo AND :hi',
        ExpressionAttributeValues: { ':u': { S: 'u1' }, ':lo': { N: '0' }, ':hi': { N: '10' } },
        ScanIndexForward: false,
      }),
    );
    expect(reverse.Items?.map((i) => i.ts?.N)).toEqual(['10', '9', '2', '1', '0.5', '0']);
    const filtered = await ddb.send(
      new QueryCommand({
        TableName: 'events',
        KeyConditionExpression: 'pk = :u AND ts > :z',
        FilterExpression: 'even = :t',
        ExpressionAttributeValues: { ':u': { S: 'u1' }, ':z': { N: '1' }, ':t': { BOOL: true } },
      }),
    );
    expect(filtered.Items?.map((i) => i.ts?.N)).toEqual(['2', '10', '100', '1000']);
    expect(filtered.ScannedCount).toBe(5);
    const missing = await ddb
      .send(
        new QueryCommand({
          TableName: 'events',
          KeyConditionExpression: 'ts = :z',
          ExpressionAttributeValues: { ':z': { N: '1' } },
        }),
      )
      .catch((e) => e);
    expect(codeOf(missing)).toBe('ValidationException');

    await createTable('names', { name: 'sk', type: 'S' });
    for (const sk of ['order#2', 'order#10', 'profile', 'order#1']) {
      await ddb.send(new PutItemCommand({ TableName: 'names', Item: { pk: { S: 'p' }, sk: { S: sk } } }));
    }
    const prefix = await ddb.send(
      new QueryCommand({
        TableName: 'names',
        KeyConditionExpression: 'pk = :p AND begins_with(sk, :o)',
        ExpressionAttributeValues: { ':p': { S: 'p' }, ':o': { S: 'order#' } },
      }),
    );
    expect(prefix.Items?.map((i) => i.sk?.S)).toEqual(['order#1', 'order#10', 'order#2']);

    const scanned: string[] = [];
    let key: Record<string, never> | undefined;
    do {
      const out = await ddb.send(
        new ScanCommand({ TableName: 'events', Limit: 4, ...(key ? { ExclusiveStartKey: key } : {}) }),
      );
      scanned.push(...(out.Items ?? []).map((i) => `${i.pk?.S}:${i.ts?.N}`));
      key = out.LastEvaluatedKey as typeof key;
    } while (key);
    expect(scanned).toHaveLength(11);
    expect(new Set(scanned).size).toBe(11);
    const batch = await ddb.send(
      new BatchGetItemCommand({
        RequestItems: {
          events: {
            Keys: [
              { pk: { S: 'u2' }, ts: { N: '1' } },
              { pk: { S: 'nope' }, ts: { N: '1' } },
            ],
          },
        },
      }),
    );
    expect(batch.Responses?.events).toEqual([{ pk: { S: 'u2' }, ts: { N: '1' } }]);
  });

  it('records changes in order with the images of the view type, readable through DynamoDB Streams', async () => {
    await createTable('audited', undefined, 'NEW_AND_OLD_IMAGES');
    await ddb.send(new PutItemCommand({ TableName: 'audited', Item: { pk: { S: 'k' }, v: { N: '1' } } }));
    await ddb.send(
      new UpdateItemCommand({
        TableName: 'audited',
        Key: { pk: { S: 'k' } },
        UpdateExpression: 'SET v = :two',
        ExpressionAttributeValues: { ':two': { N: '2' } },
      }),
    );
    await ddb.send(new DeleteItemCommand({ TableName: 'audited', Key: { pk: { S: 'k' } } }));
    await ddb.send(new DeleteItemCommand({ TableName: 'audited', Key: { pk: { S: 'absent' } } }));
    const changes = engine.tables.readChanges('audited', undefined, 10);
    expect(changes.map((c) => c.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    expect(changes[0]).toMatchObject({ keys: { pk: { S: 'k' } }, newImage: { pk: { S: 'k' }, v: { N: '1' } } });
    expect(changes[0]?.oldImage).toBeUndefined();
    expect(changes[1]).toMatchObject({ oldImage: { v: { N: '1' } }, newImage: { v: { N: '2' } } });
    expect(changes[2]?.newImage).toBeUndefined();
    const seqs = changes.map((c) => c.sequenceNumber);
    expect([...seqs].sort()).toEqual(seqs);
    expect(engine.tables.readChanges('audited', changes[1]?.sequenceNumber, 10).map((c) => c.eventName)).toEqual([
      'REMOVE',
    ]);

    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'audited' }));
    expect(Table?.LatestStreamArn).toMatch(/^arn:aws:dynamodb:us-east-1:000000000000:table\/audited\/stream\//);
    const arn = Table?.LatestStreamArn;
    expect((await streamsCall('ListStreams', {})).Streams).toContainEqual(
      expect.objectContaining({ StreamArn: arn, TableName: 'audited' }),
    );
    const d = await streamsCall('DescribeStream', { StreamArn: arn });
    expect(d.StreamDescription.StreamViewType).toBe('NEW_AND_OLD_IMAGES');
    const shardId = d.StreamDescription.Shards[0].ShardId;
    const it = await streamsCall('GetShardIterator', {
      StreamArn: arn,
      ShardId: shardId,
      ShardIteratorType: 'TRIM_HORIZON',
    });
    const out = await streamsCall('GetRecords', { ShardIterator: it.ShardIterator });
    expect(out.Records.map((r: { eventName: string }) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    expect(out.Records[1].dynamodb.NewImage).toEqual({ pk: { S: 'k' }, v: { N: '2' } });
    expect(out.Records[1].eventSource).toBe('aws:dynamodb');
    const next = await streamsCall('GetRecords', { ShardIterator: out.NextShardIterator });
    expect(next.Records).toEqual([]);
    const latest = await streamsCall('GetShardIterator', {
      StreamArn: arn,
      ShardId: shardId,
      ShardIteratorType: 'LATEST',
    });
    await ddb.send(new PutItemCommand({ TableName: 'audited', Item: { pk: { S: 'late' } } }));
    const late = await streamsCall('GetRecords', { ShardIterator: latest.ShardIterator });
    expect(late.Records.map((r: { dynamodb: { Keys: unknown } }) => r.dynamodb.Keys)).toEqual([{ pk: { S: 'late' } }]);
  });
});
