import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAws } from '../helpers/cli.js';
import { zipFixture } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
let dataDir: string;

/** Runs `aws lambda …` against the test server; resolves to parsed JSON stdout (or null). */
function aws(...args: string[]): Promise<Record<string, unknown> | null> {
  return runAws(t.url, dataDir, 'lambda', ...args);
}

beforeAll(async () => {
  t = await startTestServer('lambda-awscli');
  dataDir = t.dir;
});

afterAll(async () => {
  await t?.close();
});

describe('Lambda API with the aws CLI', () => {
  it('creates, lists, gets and invokes a function', async () => {
    const zipPath = join(dataDir, 'echo.zip');
    writeFileSync(zipPath, zipFixture('lambda/echo'));
    const created = await aws(
      'create-function',
      '--function-name',
      'cli-echo',
      '--runtime',
      'nodejs20.x',
      '--role',
      'arn:aws:iam::000000000000:role/any',
      '--handler',
      'index.handler',
      '--zip-file',
      `fileb://${zipPath}`,
      '--environment',
      'Variables={GREETING=hi}',
    );
    expect(created).toMatchObject({ FunctionName: 'cli-echo', State: 'Active', Version: '$LATEST' });

    const listed = await aws('list-functions');
    expect((listed?.Functions as Array<{ FunctionName: string }> | undefined)?.map((f) => f.FunctionName)).toEqual([
      'cli-echo',
    ]);

    const got = await aws('get-function', '--function-name', 'cli-echo');
    expect(got).toMatchObject({ Configuration: { FunctionName: 'cli-echo', Handler: 'index.handler' } });

    const outFile = join(dataDir, 'out.json');
    const invoked = await aws(
      'invoke',
      '--function-name',
      'cli-echo',
      '--payload',
      '{"from":"cli"}',
      '--log-type',
      'Tail',
      outFile,
    );
    expect(invoked).toMatchObject({ StatusCode: 200, ExecutedVersion: '$LATEST' });
    expect(Buffer.from(String(invoked?.LogResult), 'base64').toString()).toContain('REPORT RequestId:');
    expect(JSON.parse(readFileSync(outFile, 'utf8'))).toMatchObject({ event: { from: 'cli' }, greeting: 'hi' });
  });

  it('exits non-zero with the AWS error code for an unknown function', async () => {
    const err = await aws('get-function', '--function-name', 'missing').catch((e) => e);
    expect(err.code).toBe(255);
    expect(err.stderr).toContain('ResourceNotFoundException');
  });
});
