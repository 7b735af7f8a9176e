import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBServiceException,
  PutItemCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  UpdateItemCommand,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runAws } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let ddb: DynamoDBClient;

beforeAll(async () => {
  t = await startTestServer('ddb-indexes', { background: false });
  ddb = new DynamoDBClient({ endpoint: t.url, ...AWS_TEST_CONFIG });
});

afterAll(async () => {
  ddb?.destroy();
  await t?.close();
});

const codeOf = (err: unknown) => (err as DynamoDBServiceException).name;
const messageOf = (err: unknown) => (err as Error).message;

/** Orders: pk customer, sk order id; GSI byStatus (status, total), sparse GSI byCoupon (coupon), LSI byTotal. */
async function createOrders(name: string) {
  return ddb.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'customer', KeyType: 'HASH' },
        { AttributeName: 'id', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'customer', AttributeType: 'S' },
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: 'status', AttributeType: 'S' },
        { AttributeName: 'total', AttributeType: 'N' },
        { AttributeName: 'coupon', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byStatus',
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' },
            { AttributeName: 'total', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['note'] },
        },
        {
          IndexName: 'byCoupon',
          KeySchema: [{ AttributeName: 'coupon', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      LocalSecondaryIndexes: [
        {
          IndexName: 'byTotal',
          KeySchema: [
            { AttributeName: 'customer', KeyType: 'HASH' },
            { AttributeName: 'total', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
}

function order(customer: string, id: string, status: string, total: number, extra: Record<string, string> = {}) {
  return {
    customer: { S: customer },
    id: { S: id },
    status: { S: status },
    total: { N: String(total) },
    note: { S: `note ${id}` },
    secret: { S: 'not projected' },
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, { S: v }])),
  };
}

async function queryAll(input: QueryCommandInput) {
  const pages: Array<Record<string, unknown>[]> = [];
  let start: QueryCommandInput['ExclusiveStartKey'];
  do {
    const out = await ddb.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
    pages.push((out.Items ?? []) as Record<string, unknown>[]);
    start = out.LastEvaluatedKey;
  } while (start);
  return pages;
}

describe('secondary indexes', () => {
  it('creates global and local indexes and describes them as AWS does', async () => {
    const created = await createOrders('orders');
    expect(created.TableDescription?.GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual(['byStatus', 'byCoupon']);
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'orders' }));
    const byStatus = Table?.GlobalSecondaryIndexes?.[0];
    expect(byStatus).toMatchObject({
      IndexName: 'byStatus',
      IndexStatus: 'ACTIVE',
      IndexArn: `${Table?.TableArn}/index/byStatus`,
      ItemCount: 0,
      IndexSizeBytes: 0,
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['note'] },
      KeySchema: [
        { AttributeName: 'status', KeyType: 'HASH' },
        { AttributeName: 'total', KeyType: 'RANGE' },
      ],
    });
    expect(Table?.LocalSecondaryIndexes?.[0]).toMatchObject({
      IndexName: 'byTotal',
      IndexArn: `${Table?.TableArn}/index/byTotal`,
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
  });

  it('rejects bad index definitions with AWS ValidationExceptions', async () => {
    const base = {
      BillingMode: 'PAY_PER_REQUEST' as const,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
    };
    const gsi = (name: string, attribute = 'pk') => ({
      IndexName: name,
      KeySchema: [{ AttributeName: attribute, KeyType: 'HASH' as const }],
      Projection: { ProjectionType: 'ALL' as const },
    });
    const undefinedKey = await ddb
      .send(new CreateTableCommand({ ...base, TableName: 'bad1', GlobalSecondaryIndexes: [gsi('gsi1', 'nope')] }))
      .catch((e) => e);
    expect(codeOf(undefinedKey)).toBe('ValidationException');
    expect(messageOf(undefinedKey)).toMatch(/not defined in AttributeDefinitions/);
    const duplicate = await ddb
      .send(new CreateTableCommand({ ...base, TableName: 'bad2', GlobalSecondaryIndexes: [gsi('gsi1'), gsi('gsi1')] }))
      .catch((e) => e);
    expect(messageOf(duplicate)).toMatch(/Duplicate index name: gsi1/);
    const tooMany = await ddb
      .send(
        new CreateTableCommand({
          ...base,
          TableName: 'bad3',
          GlobalSecondaryIndexes: Array.from({ length: 21 }, (_, i) => gsi(`gsi${i}`)),
        }),
      )
      .catch((e) => e);
    expect(messageOf(tooMany)).toMatch(/limit of 20/);
    const lsiWithoutSort = await ddb
      .send(
        new CreateTableCommand({
          ...base,
          TableName: 'bad4',
          LocalSecondaryIndexes: [gsi('lsi1')],
        }),
      )
      .catch((e) => e);
    expect(messageOf(lsiWithoutSort)).toMatch(/does not have a range key/);
    const include = await ddb
      .send(
        new CreateTableCommand({
          ...base,
          TableName: 'bad5',
          GlobalSecondaryIndexes: [{ ...gsi('gsi1'), Projection: { ProjectionType: 'INCLUDE' } }],
        }),
      )
      .catch((e) => e);
    expect(messageOf(include)).toMatch(/NonKeyAttributes is not specified/);
    // None of them was created.
    const missing = await ddb.send(new DescribeTableCommand({ TableName: 'bad1' })).catch((e) => e);
    expect(codeOf(missing)).toBe('ResourceNotFoundException');
  });

  it('maintains indexes on put, update and delete, sparse and projected, and queries them in index order', async () => {
    await ddb.send(new PutItemCommand({ TableName: 'orders', Item: order('c1', 'o1', 'OPEN', 30) }));
    await ddb.send(new PutItemCommand({ TableName: 'orders', Item: order('c1', 'o2', 'OPEN', 10, { coupon: 'X' }) }));
    await ddb.send(new PutItemCommand({ TableName: 'orders', Item: order('c2', 'o3', 'OPEN', 20) }));
    await ddb.send(new PutItemCommand({ TableName: 'orders', Item: order('c2', 'o4', 'SHIPPED', 5) }));
    // An item without the index keys is in no index (sparse).
    await ddb.send(new PutItemCommand({ TableName: 'orders', Item: { customer: { S: 'c3' }, id: { S: 'o5' } } }));

    const open = await ddb.send(
      new QueryCommand({
        TableName: 'orders',
        IndexName: 'byStatus',
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'OPEN' } },
      }),
    );
    expect(open.Items?.map((i) => i.id?.S)).toEqual(['o2', 'o3', 'o1']);
    // INCLUDE projection: keys of table and index plus `note`, never `secret`.
    expect(open.Items?.[0]).toEqual({
      customer: { S: 'c1' },
      id: { S: 'o2' },
      status: { S: 'OPEN' },
      total: { N: '10' },
      note: { S: 'note o2' },
    });

    const coupon = await ddb.send(new ScanCommand({ TableName: 'orders', IndexName: 'byCoupon' }));
    expect(coupon.Items).toEqual([{ customer: { S: 'c1' }, id: { S: 'o2' }, coupon: { S: 'X' } }]);

    // Update moves an item within and out of indexes.
    await ddb.send(
      new UpdateItemCommand({
        TableName: 'orders',
        Key: { customer: { S: 'c1' }, id: { S: 'o1' } },
        UpdateExpression: 'SET #s = :s REMOVE note',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'SHIPPED' } },
      }),
    );
    await ddb.send(
      new UpdateItemCommand({
        TableName: 'orders',
        Key: { customer: { S: 'c1' }, id: { S: 'o2' } },
        UpdateExpression: 'REMOVE coupon',
      }),
    );
    await ddb.send(new DeleteItemCommand({ TableName: 'orders', Key: { customer: { S: 'c2' }, id: { S: 'o4' } } }));
    const shipped = await ddb.send(
      new QueryCommand({
        TableName: 'orders',
        IndexName: 'byStatus',
        KeyConditionExpression: '#s = :s AND total > :t',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'SHIPPED' }, ':t': { N: '0' } },
        ScanIndexForward: false,
      }),
    );
    expect(shipped.Items).toEqual([
      { customer: { S: 'c1' }, id: { S: 'o1' }, status: { S: 'SHIPPED' }, total: { N: '30' } },
    ]);
    expect((await ddb.send(new ScanCommand({ TableName: 'orders', IndexName: 'byCoupon' }))).Count).toBe(0);

    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'orders' }));
    expect(Table?.ItemCount).toBe(4);
    expect(Table?.GlobalSecondaryIndexes?.find((g) => g.IndexName === 'byStatus')?.ItemCount).toBe(3);
    expect(Table?.GlobalSecondaryIndexes?.find((g) => g.IndexName === 'byCoupon')?.ItemCount).toBe(0);
    expect(Table?.GlobalSecondaryIndexes?.[0]?.IndexSizeBytes).toBeGreaterThan(0);
  });

  it('rejects writes whose index key has the wrong type', async () => {
    const err = await ddb
      .send(
        new PutItemCommand({
          TableName: 'orders',
          Item: { customer: { S: 'c9' }, id: { S: 'x' }, status: { N: '1' } },
        }),
      )
      .catch((e) => e);
    expect(codeOf(err)).toBe('ValidationException');
    expect(messageOf(err)).toMatch(/Type mismatch for Index Key status Expected: S Actual: N IndexName: byStatus/);
    const none = await ddb.send(
      new ScanCommand({
        TableName: 'orders',
        FilterExpression: 'customer = :c',
        ExpressionAttributeValues: { ':c': { S: 'c9' } },
      }),
    );
    expect(none.Count).toBe(0);
  });

  it('pages through an index with LastEvaluatedKey holding table and index keys', async () => {
    await createOrders('paged');
    for (let i = 0; i < 25; i++) {
      // Equal index sort keys in pairs: ties are ordered by the table key.
      await ddb.send(
        new PutItemCommand({
          TableName: 'paged',
          Item: order(`c${i % 3}`, `o${String(i).padStart(2, '0')}`, 'OPEN', Math.floor(i / 2)),
        }),
      );
    }
    const first = await ddb.send(
      new QueryCommand({
        TableName: 'paged',
        IndexName: 'byStatus',
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'OPEN' } },
        Limit: 4,
      }),
    );
    expect(Object.keys(first.LastEvaluatedKey ?? {}).sort()).toEqual(['customer', 'id', 'status', 'total']);
    for (const forward of [true, false]) {
      const pages = await queryAll({
        TableName: 'paged',
        IndexName: 'byStatus',
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'OPEN' } },
        Limit: 4,
        ScanIndexForward: forward,
      });
      const ids = pages.flat().map((i) => (i.id as { S: string }).S);
      expect(pages.length).toBe(7);
      expect(new Set(ids).size).toBe(25);
      const totals = pages.flat().map((i) => Number((i.total as { N: string }).N));
      expect(totals).toEqual([...totals].sort((a, b) => (forward ? a - b : b - a)));
    }
    // A scan of the index pages the same way.
    let scanned = 0;
    let start: Record<string, never> | undefined;
    do {
      const out = await ddb.send(
        new ScanCommand({ TableName: 'paged', IndexName: 'byStatus', Limit: 7, ExclusiveStartKey: start }),
      );
      scanned += out.Count ?? 0;
      start = out.LastEvaluatedKey as typeof start;
    } while (start);
    expect(scanned).toBe(25);
    // The LSI: one customer's orders by total; Select ALL_ATTRIBUTES reads the table's item.
    const local = await ddb.send(
      new QueryCommand({
        TableName: 'paged',
        IndexName: 'byTotal',
        KeyConditionExpression: 'customer = :c AND total BETWEEN :lo AND :hi',
        ExpressionAttributeValues: { ':c': { S: 'c0' }, ':lo': { N: '3' }, ':hi': { N: '9' } },
        Select: 'ALL_ATTRIBUTES',
      }),
    );
    expect(local.Items?.map((i) => Number(i.total?.N))).toEqual([3, 4, 6, 7, 9]);
    expect(local.Items?.[0]?.secret).toEqual({ S: 'not projected' });
    const count = await ddb.send(
      new QueryCommand({
        TableName: 'paged',
        IndexName: 'byTotal',
        KeyConditionExpression: 'customer = :c',
        ExpressionAttributeValues: { ':c': { S: 'c1' } },
        Select: 'COUNT',
      }),
    );
    expect(count.Count).toBe(8);
    expect(count.Items).toBeUndefined();
  });

  it('answers AWS errors for index reads it cannot serve', async () => {
    const query = (extra: Partial<QueryCommandInput>) =>
      ddb
        .send(
          new QueryCommand({
            TableName: 'orders',
            IndexName: 'byStatus',
            KeyConditionExpression: '#s = :s',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':s': { S: 'OPEN' } },
            ...extra,
          }),
        )
        .catch((e) => e);
    const consistent = await query({ ConsistentRead: true });
    expect(codeOf(consistent)).toBe('ValidationException');
    expect(messageOf(consistent)).toBe('Consistent reads are not supported on global secondary indexes');
    expect(messageOf(await query({ Select: 'ALL_ATTRIBUTES' }))).toMatch(/projection type is not ALL/);
    expect(messageOf(await query({ IndexName: 'nope' }))).toBe('The table does not have the specified index: nope');
    const tableKey = await query({ KeyConditionExpression: 'customer = :s' });
    expect(messageOf(tableKey)).toMatch(/Query condition missed key schema element: status/);
  });

  it('creates (backfilled) and deletes a GSI with UpdateTable, through the AWS CLI', async () => {
    const out = await runAws(
      t.url,
      t.dir,
      'dynamodb',
      'update-table',
      '--table-name',
      'orders',
      '--attribute-definitions',
      'AttributeName=note,AttributeType=S',
      '--global-secondary-index-updates',
      JSON.stringify([
        {
          Create: {
            IndexName: 'byNote',
            KeySchema: [{ AttributeName: 'note', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        },
      ]),
    );
    expect(out?.TableDescription.GlobalSecondaryIndexes.map((g: { IndexName: string }) => g.IndexName)).toContain(
      'byNote',
    );
    const found = await runAws(
      t.url,
      t.dir,
      'dynamodb',
      'query',
      '--table-name',
      'orders',
      '--index-name',
      'byNote',
      '--key-condition-expression',
      'note = :n',
      '--expression-attribute-values',
      JSON.stringify({ ':n': { S: 'note o3' } }),
    );
    expect(found?.Items).toHaveLength(1);
    expect(found?.Items[0].secret).toEqual({ S: 'not projected' });
    await ddb.send(
      new UpdateTableCommand({
        TableName: 'orders',
        GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'byNote' } }],
      }),
    );
    const gone = await ddb
      .send(
        new QueryCommand({
          TableName: 'orders',
          IndexName: 'byNote',
          KeyConditionExpression: 'note = :n',
          ExpressionAttributeValues: { ':n': { S: 'x' } },
        }),
      )
      .catch((e) => e);
    expect(messageOf(gone)).toBe('The table does not have the specified index: byNote');
  });
});
