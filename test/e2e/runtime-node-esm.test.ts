import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { zipFixture } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let lambda: LambdaClient;
let s3: S3Client;

const decode = (payload?: Uint8Array) => JSON.parse(Buffer.from(payload ?? []).toString('utf8'));

async function create(name: string, fixture: string, handler: string) {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::000000000000:role/test-role',
      Handler: handler,
      Code: { ZipFile: zipFixture(fixture) },
      Timeout: 10,
    }),
  );
}

beforeAll(async () => {
  t = await startTestServer('runtime-node-esm');
  lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: t.url, maxAttempts: 1 });
  s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: t.url, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'esm-bucket' }));
});

afterAll(async () => {
  lambda?.destroy();
  s3?.destroy();
  await t?.close();
});

describe('Node.js ES module handlers and the AWS SDK the runtime provides', () => {
  it('lets an .mjs handler import @aws-sdk/client-s3 unbundled and round-trip an object', async () => {
    await create('esm-sdk', 'runtime/esm-sdk', 'index.handler');
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: 'esm-sdk',
        Payload: Buffer.from(
          JSON.stringify({ bucket: 'esm-bucket', key: 'from/esm.txt', body: 'written by an ESM handler' }),
        ),
      }),
    );
    expect(out.FunctionError).toBeUndefined();
    expect(decode(out.Payload)).toEqual({ readBack: 'written by an ESM handler' });
    const stored = await s3.send(new GetObjectCommand({ Bucket: 'esm-bucket', Key: 'from/esm.txt' }));
    expect(await stored.Body?.transformToString()).toBe('written by an ESM handler');
  });

  it('lets a "type": "module" package import the SDK from a .js file', async () => {
    await create('esm-module', 'runtime/esm-sdk-module', 'app.handler');
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'esm-module' }));
    expect(out.FunctionError).toBeUndefined();
    expect(decode(out.Payload).buckets).toContain('esm-bucket');
  });
});

describe('log lines of an init phase', () => {
  it('carry the request id of the cold start that ran the init, whatever wrote them', async () => {
    await create('init-logs', 'runtime/init-logs', 'index.handler');
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'init-logs', LogType: 'Tail' }));
    expect(out.FunctionError).toBeUndefined();
    const lines = Buffer.from(out.LogResult ?? '', 'base64')
      .toString('utf8')
      .trimEnd()
      .split('\n');
    const report = lines.find((line) => line.startsWith('REPORT RequestId: '));
    expect(report).toMatch(/\tInit Duration: \d+\.\d\d ms$/);
    const requestId = /^REPORT RequestId: (\S+)\t/.exec(report ?? '')?.[1];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const own = lines.filter((line) => /^\d{4}-\d\d-\d\dT/.test(line));
    expect(own.map((line) => line.split('\t').slice(2).join('\t')).sort()).toEqual(
      [
        'ERROR\tinit: console error line',
        'INFO\tinit: child process line',
        'INFO\tinit: console line',
        'INFO\tinit: raw stdout line',
        'INFO\tinvoke: console line',
      ].sort(),
    );
    for (const line of own) expect(line.split('\t')[1]).toBe(requestId);
    const warm = await lambda.send(new InvokeCommand({ FunctionName: 'init-logs', LogType: 'Tail' }));
    const warmLines = Buffer.from(warm.LogResult ?? '', 'base64').toString('utf8');
    expect(warmLines).not.toContain('init:');
    expect(warmLines).not.toContain('Init Duration');
  });
});
