import { createHash } from 'node:crypto';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  DeleteFunctionEventInvokeConfigCommand,
  GetAccountSettingsCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  GetFunctionEventInvokeConfigCommand,
  InvokeAsyncCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  UpdateFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/api/index.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { zipFixture } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signedFetch } from '../helpers/signed-fetch.js';

let t: TestServer;
let server: RunningServer;
let lambda: LambdaClient;
const echoZip = zipFixture('lambda/echo');

const decode = (payload?: Uint8Array) => JSON.parse(Buffer.from(payload ?? []).toString('utf8'));

async function create(name: string, extra: Record<string, unknown> = {}) {
  return lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::000000000000:role/test-role',
      Handler: 'index.handler',
      Code: { ZipFile: echoZip },
      ...extra,
    }),
  );
}

beforeAll(async () => {
  t = await startTestServer('lambda-sdk');
  ({ server } = t);
  lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: server.url, maxAttempts: 1 });
});

afterAll(async () => {
  lambda?.destroy();
  await t?.close();
});

describe('Lambda API with @aws-sdk/client-lambda', () => {
  it('creates a function from a zip and reports its configuration as AWS does', async () => {
    const config = await create('echo', {
      MemorySize: 256,
      Timeout: 10,
      Description: 'echoes',
      Environment: { Variables: { GREETING: 'hello' } },
    });
    expect(config).toMatchObject({
      FunctionName: 'echo',
      FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:echo',
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::000000000000:role/test-role',
      Handler: 'index.handler',
      CodeSize: echoZip.length,
      CodeSha256: createHash('sha256').update(echoZip).digest('base64'),
      Description: 'echoes',
      Timeout: 10,
      MemorySize: 256,
      Version: '$LATEST',
      Environment: { Variables: { GREETING: 'hello' } },
      EphemeralStorage: { Size: 512 },
      State: 'Active',
      LastUpdateStatus: 'Successful',
      PackageType: 'Zip',
      Architectures: ['x86_64'],
    });
    expect(config.LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    expect(config.RevisionId).toBeTruthy();
  });

  it('refuses a second function with the same name', async () => {
    await expect(create('echo')).rejects.toMatchObject({ name: 'ResourceConflictException' });
  });

  it('gets a function with a code location that downloads the package', async () => {
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'echo' }));
    expect(got.Configuration?.FunctionName).toBe('echo');
    expect(got.Code?.RepositoryType).toBe('S3');
    const res = await fetch(got.Code?.Location ?? '');
    expect(res.status).toBe(200);
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    expect(Buffer.from(files['index.mjs'] ?? []).toString()).toContain('export const handler');
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'echo' }));
    expect(config.CodeSha256).toBe(got.Configuration?.CodeSha256);
  });

  it('lists functions in pages with Marker and MaxItems', async () => {
    await create('alpha');
    await create('beta');
    const first = await lambda.send(new ListFunctionsCommand({ MaxItems: 2 }));
    expect(first.Functions?.map((f) => f.FunctionName)).toEqual(['alpha', 'beta']);
    expect(first.NextMarker).toBeTruthy();
    const second = await lambda.send(new ListFunctionsCommand({ MaxItems: 2, Marker: first.NextMarker }));
    expect(second.Functions?.map((f) => f.FunctionName)).toEqual(['echo']);
    expect(second.NextMarker).toBeUndefined();
  });

  it('invokes synchronously and returns the payload, version and decoded log tail', async () => {
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"n":1}'), LogType: 'Tail' }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.ExecutedVersion).toBe('$LATEST');
    expect(out.FunctionError).toBeUndefined();
    expect(decode(out.Payload)).toMatchObject({ event: { n: 1 }, greeting: 'hello', version: '$LATEST' });
    const tail = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    expect(tail).toContain('echo got {"n":1}');
    expect(tail).toMatch(/REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms/);
  });

  it('reports a thrown error with X-Amz-Function-Error and the error payload', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"fail":"boom"}') }));
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    expect(decode(out.Payload)).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
  });

  it('accepts Event (202) and DryRun (204) invocations', async () => {
    const queued = await lambda.send(
      new InvokeCommand({ FunctionName: 'echo', InvocationType: 'Event', Payload: Buffer.from('{}') }),
    );
    expect(queued.StatusCode).toBe(202);
    const dry = await lambda.send(new InvokeCommand({ FunctionName: 'echo', InvocationType: 'DryRun' }));
    expect(dry.StatusCode).toBe(204);
    const legacy = await lambda.send(new InvokeAsyncCommand({ FunctionName: 'echo', InvokeArgs: Buffer.from('{}') }));
    expect(legacy.Status).toBe(202);
  });

  it('passes X-Amz-Client-Context to the handler', async () => {
    const clientContext = Buffer.from(JSON.stringify({ custom: { app: 'tests' } })).toString('base64');
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'echo', ClientContext: clientContext }));
    expect(decode(out.Payload).clientContext).toMatchObject({ custom: { app: 'tests' } });
  });

  it('updates code and configuration, publishes versions and invokes a version by qualifier', async () => {
    const updated = await lambda.send(
      new UpdateFunctionConfigurationCommand({ FunctionName: 'echo', MemorySize: 512, Description: 'v1' }),
    );
    expect(updated.MemorySize).toBe(512);
    const v1 = await lambda.send(new PublishVersionCommand({ FunctionName: 'echo' }));
    expect(v1.Version).toBe('1');
    expect(v1.FunctionArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:echo:1');
    const v2 = await lambda.send(
      new UpdateFunctionCodeCommand({ FunctionName: 'echo', ZipFile: zipFixture('lambda/echo-v2'), Publish: true }),
    );
    expect(v2.Version).toBe('2');
    expect(v2.CodeSha256).not.toBe(v1.CodeSha256);
    const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'echo' }));
    expect(versions.Versions?.map((v) => v.Version)).toEqual(['$LATEST', '1', '2']);

    const old = await lambda.send(
      new InvokeCommand({ FunctionName: 'echo', Qualifier: '1', Payload: Buffer.from('{}') }),
    );
    expect(old.ExecutedVersion).toBe('1');
    expect(decode(old.Payload)).toMatchObject({ version: '1', greeting: 'hello' });
    const latest = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{}') }));
    expect(decode(latest.Payload)).toMatchObject({ release: 2 });
  });

  it('throttles with TooManyRequestsException when reserved concurrency is 0', async () => {
    const put = await lambda.send(
      new PutFunctionConcurrencyCommand({ FunctionName: 'alpha', ReservedConcurrentExecutions: 0 }),
    );
    expect(put.ReservedConcurrentExecutions).toBe(0);
    const got = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'alpha' }));
    expect(got.ReservedConcurrentExecutions).toBe(0);
    const err = await lambda.send(new InvokeCommand({ FunctionName: 'alpha' })).catch((e) => e);
    expect(err).toMatchObject({ name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
    expect(err.Reason).toBeTruthy();
    await lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'alpha' }));
    const cleared = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'alpha' }));
    expect(cleared.ReservedConcurrentExecutions).toBeUndefined();
    const ok = await lambda.send(new InvokeCommand({ FunctionName: 'alpha', Payload: Buffer.from('{}') }));
    expect(ok.StatusCode).toBe(200);
  });

  it('puts, updates, gets and deletes the event invoke config', async () => {
    const put = await lambda.send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: 'beta',
        MaximumRetryAttempts: 1,
        MaximumEventAgeInSeconds: 600,
        DestinationConfig: { OnFailure: { Destination: 'arn:aws:lambda:us-east-1:000000000000:function:alpha' } },
      }),
    );
    expect(put).toMatchObject({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 600 });
    expect(put.LastModified).toBeInstanceOf(Date);
    const updated = await lambda.send(
      new UpdateFunctionEventInvokeConfigCommand({ FunctionName: 'beta', MaximumRetryAttempts: 0 }),
    );
    expect(updated).toMatchObject({
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 600,
      DestinationConfig: { OnFailure: { Destination: 'arn:aws:lambda:us-east-1:000000000000:function:alpha' } },
    });
    const got = await lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'beta' }));
    expect(got.MaximumRetryAttempts).toBe(0);
    await lambda.send(new DeleteFunctionEventInvokeConfigCommand({ FunctionName: 'beta' }));
    await expect(lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: 'beta' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('reports account limits and usage', async () => {
    const settings = await lambda.send(new GetAccountSettingsCommand({}));
    expect(settings.AccountLimit?.CodeSizeZipped).toBe(50 * 1024 * 1024);
    expect(settings.AccountUsage?.FunctionCount).toBe(3);
    expect(settings.AccountLimit?.ConcurrentExecutions).toBe(1000);
    expect(settings.AccountUsage?.TotalCodeSize).toBeGreaterThan(0);
  });

  it('deletes a function; later calls get ResourceNotFoundException', async () => {
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'beta' }));
    const err = await lambda.send(new GetFunctionCommand({ FunctionName: 'beta' })).catch((e) => e);
    expect(err).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'beta' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('refuses unsigned and wrongly signed requests', async () => {
    const unsigned = await fetch(`${server.url}/2015-03-31/functions`);
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    const forged = new LambdaClient({
      endpoint: server.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'wrong' },
    });
    await expect(forged.send(new ListFunctionsCommand({}))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    });
    forged.destroy();
  });

  it('answers bad input with the right error codes', async () => {
    const malformed = await signedFetch(
      `${server.url}/2015-03-31/functions`,
      { method: 'POST', body: '{"FunctionName":' },
      'lambda',
    );
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
    expect(await malformed.json()).toMatchObject({ Type: 'User' });

    await expect(
      lambda.send(new CreateFunctionCommand({ FunctionName: 'nocode', Handler: 'index.handler', Role: 'r', Code: {} })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: 's3code',
          Handler: 'index.handler',
          Role: 'r',
          Code: { S3Bucket: 'b', S3Key: 'k' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });

    const big = Buffer.alloc(6 * 1024 * 1024 + 10, 0x20);
    const tooLarge = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: big })).catch((e) => e);
    expect(tooLarge).toMatchObject({ name: 'RequestTooLargeException', $metadata: { httpStatusCode: 413 } });
  });
});
