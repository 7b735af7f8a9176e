import {
  BatchExecuteStatementCommand,
  CreateTableCommand,
  DynamoDBClient,
  type DynamoDBServiceException,
  ExecuteStatementCommand,
  GetItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runAws } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let ddb: DynamoDBClient;

beforeAll(async () => {
  t = await startTestServer('ddb-partiql', { background: false });
  ddb = new DynamoDBClient({ endpoint: t.url, ...AWS_TEST_CONFIG });
  await ddb.send(
    new CreateTableCommand({
      TableName: 'music',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'artist', KeyType: 'HASH' },
        { AttributeName: 'song', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'artist', AttributeType: 'S' },
        { AttributeName: 'song', AttributeType: 'S' },
        { AttributeName: 'year', AttributeType: 'N' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byYear',
          KeySchema: [{ AttributeName: 'year', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
});

afterAll(async () => {
  ddb?.destroy();
  await t?.close();
});

const run = (Statement: string, Parameters?: Record<string, unknown>[], extra: Record<string, unknown> = {}) =>
  ddb.send(new ExecuteStatementCommand({ Statement, Parameters: Parameters as never, ...extra }));
const fail = (Statement: string, Parameters?: Record<string, unknown>[]) => run(Statement, Parameters).catch((e) => e);
const codeOf = (err: unknown) => (err as DynamoDBServiceException).name;

describe('PartiQL', () => {
  it('inserts, selects, updates and deletes items', async () => {
    await run(`INSERT INTO "music" VALUE {'artist': ?, 'song': ?, 'year': ?, 'tags': <<'a', 'b'>>}`, [
      { S: 'Nina' },
      { S: 'Sinnerman' },
      { N: '1965' },
    ]);
    await run(`INSERT INTO music VALUE {'artist': 'Nina', 'song': 'Feeling Good', 'year': 1965, 'live': true}`);
    await run(`INSERT INTO "music" VALUE {'artist': 'Miles', 'song': 'So What', 'year': 1959}`);
    const dup = await fail(`INSERT INTO "music" VALUE {'artist': 'Miles', 'song': 'So What'}`);
    expect(codeOf(dup)).toBe('DuplicateItemException');

    const nina = await run(`SELECT * FROM "music" WHERE artist = ?`, [{ S: 'Nina' }]);
    expect(nina.Items?.map((i) => i.song?.S)).toEqual(['Feeling Good', 'Sinnerman']);
    expect(nina.Items?.[1]).toEqual({
      artist: { S: 'Nina' },
      song: { S: 'Sinnerman' },
      year: { N: '1965' },
      tags: { SS: ['a', 'b'] },
    });
    const some = await run(`SELECT song, "year" FROM "music" WHERE artist = 'Nina' AND begins_with(song, 'Sin')`);
    expect(some.Items).toEqual([{ song: { S: 'Sinnerman' }, year: { N: '1965' } }]);
    const byIndex = await run(`SELECT song FROM "music"."byYear" WHERE "year" = 1965`);
    expect(byIndex.Items?.map((i) => i.song?.S).sort()).toEqual(['Feeling Good', 'Sinnerman']);
    const filtered = await run(`SELECT artist FROM "music" WHERE "year" < ?`, [{ N: '1960' }]);
    expect(filtered.Items).toEqual([{ artist: { S: 'Miles' } }]);

    await run(`UPDATE "music" SET plays = ?, live = false WHERE artist = 'Nina' AND song = 'Feeling Good'`, [
      { N: '7' },
    ]);
    await run(`UPDATE "music" REMOVE live WHERE artist = 'Nina' AND song = 'Feeling Good'`);
    const { Item } = await ddb.send(
      new GetItemCommand({ TableName: 'music', Key: { artist: { S: 'Nina' }, song: { S: 'Feeling Good' } } }),
    );
    expect(Item).toEqual({
      artist: { S: 'Nina' },
      song: { S: 'Feeling Good' },
      year: { N: '1965' },
      plays: { N: '7' },
    });
    const missing = await fail(`UPDATE "music" SET plays = 1 WHERE artist = 'Nobody' AND song = 'x'`);
    expect(codeOf(missing)).toBe('ConditionalCheckFailedException');
    const wrongCondition = await fail(
      `UPDATE "music" SET plays = 1 WHERE artist = 'Nina' AND song = 'Feeling Good' AND plays = 3`,
    );
    expect(codeOf(wrongCondition)).toBe('ConditionalCheckFailedException');

    await run(`DELETE FROM "music" WHERE artist = ? AND song = ?`, [{ S: 'Miles' }, { S: 'So What' }]);
    expect((await run(`SELECT * FROM "music" WHERE artist = 'Miles'`)).Items).toEqual([]);
  });

  it('pages a SELECT with Limit and NextToken', async () => {
    for (let i = 0; i < 7; i++)
      await run(`INSERT INTO "music" VALUE {'artist': 'Bach', 'song': ?}`, [{ S: `bwv${i}` }]);
    const songs: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const out = await run(`SELECT song FROM "music" WHERE artist = 'Bach'`, undefined, { Limit: 3, NextToken });
      songs.push(...(out.Items ?? []).map((i) => i.song?.S as string));
      NextToken = out.NextToken;
      pages++;
    } while (NextToken);
    expect(songs).toEqual(Array.from({ length: 7 }, (_, i) => `bwv${i}`));
    expect(pages).toBe(3);
  });

  it('names what it does not support, and checks parameters and keys', async () => {
    const or = await fail(`SELECT * FROM "music" WHERE artist = 'a' OR artist = 'b'`);
    expect(codeOf(or)).toBe('ValidationException');
    expect(or.message).toMatch(/Unsupported PartiQL: OR in WHERE/);
    expect((await fail(`SELECT * FROM "music" WHERE tags.x = 1`)).message).toMatch(/nested attribute paths/);
    expect((await fail(`UPSERT INTO "music"`)).message).toMatch(/statements starting with UPSERT/);
    expect((await fail(`SELECT * FROM "music" WHERE artist = ?`)).message).toMatch(/Number of parameters/);
    expect((await fail(`DELETE FROM "music" WHERE artist = 'Nina'`)).message).toBe(
      'Where clause does not contain a mandatory equality on all key attributes',
    );
    expect(codeOf(await fail(`SELECT * FROM "nope"`))).toBe('ResourceNotFoundException');
    expect((await fail(`SELECT * FROM "music" WHERE`)).message).toMatch(/well formed/);
  });

  it('runs a batch, reporting each statement’s error in its place', async () => {
    const { Responses } = await ddb.send(
      new BatchExecuteStatementCommand({
        Statements: [
          { Statement: `INSERT INTO "music" VALUE {'artist': 'Ella', 'song': 'Summertime'}` },
          { Statement: `INSERT INTO "music" VALUE {'artist': 'Ella', 'song': 'Summertime'}` },
          {
            Statement: `SELECT * FROM "music" WHERE artist = ? AND song = ?`,
            Parameters: [{ S: 'Ella' }, { S: 'Summertime' }],
          },
        ],
      }),
    );
    expect(Responses?.[0]).toEqual({ TableName: 'music' });
    expect(Responses?.[1]?.Error?.Code).toBe('DuplicateItem');
    expect(Responses?.[2]?.Item).toEqual({ artist: { S: 'Ella' }, song: { S: 'Summertime' } });
  });

  it('answers the AWS CLI', async () => {
    const out = await runAws(
      t.url,
      t.dir,
      'dynamodb',
      'execute-statement',
      '--statement',
      `SELECT song FROM "music" WHERE artist = ?`,
      '--parameters',
      JSON.stringify([{ S: 'Ella' }]),
    );
    expect(out?.Items).toEqual([{ song: { S: 'Summertime' } }]);
  });
});
