import {
  CreateTableCommand,
  DynamoDBClient,
  type DynamoDBServiceException,
  PutItemCommand,
  ScanCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactDir } from '../helpers/artifacts.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runAws } from '../helpers/cli.js';
import { deployRecorder, recorded } from '../helpers/recorder.js';
import { WRITES_HOST_FILES } from '../helpers/sandbox.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { eventually } from '../helpers/wait.js';

let t: TestServer;
let ddb: DynamoDBClient;
let lambda: LambdaClient;
let out: ReturnType<typeof artifactDir>;

beforeAll(async () => {
  t = await startTestServer('ddb-ttl', { runtime: WRITES_HOST_FILES });
  ddb = new DynamoDBClient({ endpoint: t.url, ...AWS_TEST_CONFIG });
  lambda = new LambdaClient({ endpoint: t.url, ...AWS_TEST_CONFIG });
  out = artifactDir('ddb-ttl-');
});

afterAll(async () => {
  ddb?.destroy();
  lambda?.destroy();
  await t?.close();
  out?.remove();
});

describe('time to live', () => {
  it('deletes expired items within seconds, and a REMOVE record by the service reaches the mapped function', async () => {
    const created = await ddb.send(
      new CreateTableCommand({
        TableName: 'sessions',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'user', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byUser',
            KeySchema: [{ AttributeName: 'user', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    const streamArn = created.TableDescription?.LatestStreamArn as string;
    const described = await runAws(t.url, t.dir, 'dynamodb', 'describe-time-to-live', '--table-name', 'sessions');
    expect(described?.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'DISABLED' });

    const now = Math.floor(Date.now() / 1000);
    // Written before TTL is enabled: enabling it finds this item too.
    await ddb.send(
      new PutItemCommand({
        TableName: 'sessions',
        Item: { id: { S: 'old' }, user: { S: 'u1' }, expires: { N: String(now - 60) } },
      }),
    );
    const enabled = await runAws(
      t.url,
      t.dir,
      'dynamodb',
      'update-time-to-live',
      '--table-name',
      'sessions',
      '--time-to-live-specification',
      'Enabled=true,AttributeName=expires',
    );
    expect(enabled?.TimeToLiveSpecification).toEqual({ Enabled: true, AttributeName: 'expires' });
    const again = await ddb
      .send(
        new UpdateTimeToLiveCommand({
          TableName: 'sessions',
          TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' },
        }),
      )
      .catch((e) => e);
    expect((again as DynamoDBServiceException).name).toBe('ValidationException');
    expect(
      (await runAws(t.url, t.dir, 'dynamodb', 'describe-time-to-live', '--table-name', 'sessions'))
        ?.TimeToLiveDescription,
    ).toEqual({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: 'expires',
    });

    await deployRecorder(t.engine, 'ttl-recorder', out.path);
    await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'ttl-recorder',
        EventSourceArn: streamArn,
        StartingPosition: 'TRIM_HORIZON',
      }),
    );
    await ddb.send(
      new PutItemCommand({
        TableName: 'sessions',
        Item: { id: { S: 'soon' }, user: { S: 'u2' }, expires: { N: String(now + 2) } },
      }),
    );
    await ddb.send(
      new PutItemCommand({
        TableName: 'sessions',
        Item: { id: { S: 'later' }, user: { S: 'u3' }, expires: { N: String(now + 3600) } },
      }),
    );
    await ddb.send(new PutItemCommand({ TableName: 'sessions', Item: { id: { S: 'never' }, user: { S: 'u4' } } }));

    const removes = () =>
      recorded(out.path)
        .flatMap((r) => r.event.Records)
        .filter((r) => r.eventName === 'REMOVE');
    const inserts = () =>
      recorded(out.path)
        .flatMap((r) => r.event.Records)
        .filter((r) => r.eventName === 'INSERT');
    // On a loaded machine 'soon' can have expired by the time it is written (the AWS CLI calls since `now`
    // take seconds), so its REMOVE can reach the function in a batch before the INSERTs of the items
    // written after it: wait for both.
    await eventually(() => removes().length >= 2 && inserts().length >= 4, 20_000);
    const [first, second] = removes();
    expect(first?.dynamodb.Keys).toEqual({ id: { S: 'old' } });
    expect(second?.dynamodb.Keys).toEqual({ id: { S: 'soon' } });
    expect(first?.userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    expect(first?.dynamodb.OldImage).toEqual({ id: { S: 'old' }, user: { S: 'u1' }, expires: { N: String(now - 60) } });
    // Writes by callers carry no userIdentity.
    expect(inserts().map((r) => r.dynamodb.Keys?.id?.S)).toEqual(['old', 'soon', 'later', 'never']);
    expect(inserts().every((r) => r.userIdentity === undefined)).toBe(true);

    const left = await ddb.send(new ScanCommand({ TableName: 'sessions' }));
    expect(left.Items?.map((i) => i.id?.S).sort()).toEqual(['later', 'never']);
    const index = await ddb.send(new ScanCommand({ TableName: 'sessions', IndexName: 'byUser' }));
    expect(index.Items?.map((i) => i.user?.S).sort()).toEqual(['u3', 'u4']);
  });
});
