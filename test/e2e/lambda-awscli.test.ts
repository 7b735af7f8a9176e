import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { zipFixture } from './lambda-helpers.js';

const run = promisify(execFile);
let dataDir: string;
let engine: Engine;
let server: RunningServer;

/** Runs `aws lambda …` against the test server; resolves to parsed JSON stdout (or null). */
async function aws(...args: string[]): Promise<Record<string, unknown> | null> {
  const { stdout } = await run('aws', ['lambda', ...args, '--endpoint-url', server.url, '--output', 'json'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dataDir,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
    },
  });
  return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : null;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'lambdata-lambda-awscli-'));
  engine = await createEngine({ dataDir });
  server = await startServer(engine, { port: 0 });
});

afterAll(async () => {
  await server?.close();
  await engine?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('Lambda API with the aws CLI', () => {
  it('creates, lists, gets and invokes a function', async () => {
    const zipPath = join(dataDir, 'echo.zip');
    writeFileSync(zipPath, zipFixture('echo'));
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
