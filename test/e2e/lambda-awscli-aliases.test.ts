/**
 * The AWS CLI (`aws lambda …`) on aliases, invoking by alias, resource policies, function URLs,
 * event-invoke configs and tags: the commands a tutorial runs, answered in AWS's shapes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAws } from '../helpers/cli.js';
import { zipFixture } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ARN = 'arn:aws:lambda:us-east-1:000000000000:function:cli-fn';

let t: TestServer;

function aws(...args: string[]) {
  return runAws(t.url, t.dir, 'lambda', ...args);
}

beforeAll(async () => {
  t = await startTestServer('lambda-awscli-aliases');
  const zipPath = join(t.dir, 'echo.zip');
  writeFileSync(zipPath, zipFixture('lambda/echo'));
  await aws(
    'create-function',
    '--function-name',
    'cli-fn',
    '--runtime',
    'nodejs20.x',
    '--role',
    'arn:aws:iam::000000000000:role/any',
    '--handler',
    'index.handler',
    '--zip-file',
    `fileb://${zipPath}`,
    '--tags',
    'team=data',
    '--publish',
  );
});

afterAll(async () => {
  await t?.close();
});

describe('aws lambda … on aliases, policies, URLs, event-invoke configs and tags', () => {
  it('creates an alias and invokes through it', async () => {
    const alias = await aws('create-alias', '--function-name', 'cli-fn', '--name', 'prod', '--function-version', '1');
    expect(alias).toMatchObject({ AliasArn: `${ARN}:prod`, FunctionVersion: '1' });
    const updated = await aws(
      'update-alias',
      '--function-name',
      'cli-fn',
      '--name',
      'prod',
      '--description',
      'production',
    );
    expect(updated).toMatchObject({ Description: 'production', FunctionVersion: '1' });
    const listed = await aws('list-aliases', '--function-name', 'cli-fn');
    expect(listed?.Aliases.map((a: { Name: string }) => a.Name)).toEqual(['prod']);
    const out = join(t.dir, 'out.json');
    const invoked = await aws(
      'invoke',
      '--function-name',
      'cli-fn',
      '--qualifier',
      'prod',
      '--payload',
      '{"a":1}',
      out,
    );
    expect(invoked).toMatchObject({ StatusCode: 200, ExecutedVersion: '1' });
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ event: { a: 1 }, version: '1' });
    const err = await aws('get-alias', '--function-name', 'cli-fn', '--name', 'nope').catch((e) => e);
    expect(err.code).toBe(255);
    expect(err.stderr).toContain('ResourceNotFoundException');
  });

  it('adds, shows and removes a permission', async () => {
    const added = await aws(
      'add-permission',
      '--function-name',
      'cli-fn',
      '--statement-id',
      's3invoke',
      '--action',
      'lambda:InvokeFunction',
      '--principal',
      's3.amazonaws.com',
      '--source-arn',
      'arn:aws:s3:::my-bucket',
    );
    expect(JSON.parse(added?.Statement)).toMatchObject({ Sid: 's3invoke', Principal: { Service: 's3.amazonaws.com' } });
    const again = await aws(
      'add-permission',
      '--function-name',
      'cli-fn',
      '--statement-id',
      's3invoke',
      '--action',
      'lambda:InvokeFunction',
      '--principal',
      's3.amazonaws.com',
    ).catch((e) => e);
    expect(again.stderr).toContain('ResourceConflictException');
    const policy = await aws('get-policy', '--function-name', 'cli-fn');
    expect(JSON.parse(policy?.Policy).Statement[0].Condition).toEqual({
      ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::my-bucket' },
    });
    await aws('remove-permission', '--function-name', 'cli-fn', '--statement-id', 's3invoke');
    const gone = await aws('get-policy', '--function-name', 'cli-fn').catch((e) => e);
    expect(gone.stderr).toContain('ResourceNotFoundException');
  });

  it('manages a function URL and serves it', async () => {
    const created = await aws(
      'create-function-url-config',
      '--function-name',
      'cli-fn',
      '--auth-type',
      'NONE',
      '--cors',
      'AllowOrigins=https://site.example,AllowMethods=GET,MaxAge=30',
    );
    expect(created).toMatchObject({ AuthType: 'NONE', Cors: { AllowOrigins: ['https://site.example'], MaxAge: 30 } });
    const res = await fetch(`${created?.FunctionUrl}hello`, { headers: { origin: 'https://site.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://site.example');
    expect(await res.json()).toMatchObject({ event: { rawPath: '/hello' } });
    const updated = await aws('update-function-url-config', '--function-name', 'cli-fn', '--auth-type', 'AWS_IAM');
    expect(updated).toMatchObject({ AuthType: 'AWS_IAM' });
    expect((await fetch(`${created?.FunctionUrl}hello`)).status).toBe(403);
    const listed = await aws('list-function-url-configs', '--function-name', 'cli-fn');
    expect(listed?.FunctionUrlConfigs).toHaveLength(1);
    await aws('delete-function-url-config', '--function-name', 'cli-fn');
    expect((await fetch(`${created?.FunctionUrl}hello`)).status).toBe(404);
  });

  it('puts, updates, lists and deletes the event-invoke config', async () => {
    const put = await aws(
      'put-function-event-invoke-config',
      '--function-name',
      'cli-fn',
      '--maximum-retry-attempts',
      '1',
      '--destination-config',
      `OnFailure={Destination=${ARN}:prod}`,
    );
    expect(put).toMatchObject({
      MaximumRetryAttempts: 1,
      DestinationConfig: { OnFailure: { Destination: `${ARN}:prod` } },
    });
    const updated = await aws(
      'update-function-event-invoke-config',
      '--function-name',
      'cli-fn',
      '--maximum-event-age-in-seconds',
      '120',
    );
    expect(updated).toMatchObject({ MaximumRetryAttempts: 1, MaximumEventAgeInSeconds: 120 });
    expect(await aws('get-function-event-invoke-config', '--function-name', 'cli-fn')).toMatchObject({
      MaximumEventAgeInSeconds: 120,
    });
    const listed = await aws('list-function-event-invoke-configs', '--function-name', 'cli-fn');
    expect(listed?.FunctionEventInvokeConfigs).toHaveLength(1);
    await aws('delete-function-event-invoke-config', '--function-name', 'cli-fn');
    const gone = await aws('get-function-event-invoke-config', '--function-name', 'cli-fn').catch((e) => e);
    expect(gone.stderr).toContain('ResourceNotFoundException');
  });

  it('tags and untags the function', async () => {
    await aws('tag-resource', '--resource', ARN, '--tags', 'owner=ana');
    await aws('untag-resource', '--resource', ARN, '--tag-keys', 'team');
    expect(await aws('list-tags', '--resource', ARN)).toEqual({ Tags: { owner: 'ana' } });
  });
});
