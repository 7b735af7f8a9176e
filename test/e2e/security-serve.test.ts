/**
 * `lambdata serve` with a token: every surface needs the token or a signature with the configured
 * keys, test/test stops working, the CLI works with --token, functions get working keys; and serve
 * on a busy port exits at once with one line.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Sha256 } from '@aws-crypto/sha256-js';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAMBDATA_BIN, runLambdata } from '../helpers/cli.js';

const TOKEN = 'open-sesame-7f3a';
const KEYS = { accessKeyId: 'LDAKCONFIGURED000001', secretAccessKey: 'configured-secret-key-0123456789abcdef' };
const TEST_KEYS = { accessKeyId: 'test', secretAccessKey: 'test' };
const CALLER = fileURLToPath(new URL('../fixtures/security/caller', import.meta.url));

interface Served {
  url: string;
  child: ChildProcessByStdio<null, Readable, Readable>;
  stop(): Promise<void>;
}

const dirs: string[] = [];
const tempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), `lambdata-${prefix}-`));
  dirs.push(dir);
  return dir;
};

/** Starts `lambdata serve --port 0 …args` and resolves once it prints its URL. */
function serve(...args: string[]): Promise<Served> {
  const child = spawn(
    process.execPath,
    [LAMBDATA_BIN, 'serve', '--port', '0', '--data-dir', tempDir('serve'), ...args],
    {
      env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url)
        resolve({
          url,
          child,
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
  });
}

const s3 = (url: string, credentials: typeof KEYS) =>
  new S3Client({ endpoint: url, region: 'us-east-1', credentials, forcePathStyle: true });

describe('serve --token with generated keys', () => {
  let served: Served;
  beforeAll(async () => {
    served = await serve('--token', TOKEN);
  });
  afterAll(async () => {
    await served?.stop();
  });

  it('refuses the AWS SDK with test/test on S3 and Lambda', async () => {
    const client = s3(served.url, TEST_KEYS);
    const lambda = new LambdaClient({ endpoint: served.url, region: 'us-east-1', credentials: TEST_KEYS });
    try {
      await expect(client.send(new ListBucketsCommand({}))).rejects.toMatchObject({
        name: 'InvalidAccessKeyId',
        $metadata: { httpStatusCode: 403 },
      });
      await expect(lambda.send(new ListFunctionsCommand({}))).rejects.toMatchObject({
        name: 'UnrecognizedClientException',
      });
    } finally {
      client.destroy();
      lambda.destroy();
    }
  });

  it('refuses the native API and the dashboard without the token, and takes the Bearer token on every surface', async () => {
    expect((await fetch(`${served.url}/_lambdata/functions`)).status).toBe(401);
    expect((await fetch(`${served.url}/_lambdata/ui/`)).status).toBe(401);
    const bearer = { authorization: `Bearer ${TOKEN}` };
    expect((await fetch(`${served.url}/_lambdata/functions`, { headers: bearer })).status).toBe(200);
    const buckets = await fetch(`${served.url}/`, { headers: bearer });
    expect(buckets.status).toBe(200);
    expect(await buckets.text()).toContain('ListAllMyBucketsResult');
    const wrong = await fetch(`${served.url}/`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(403);
    expect(await wrong.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('runs every CLI command it is given with --token, and none without', async () => {
    const denied = await runLambdata(served.url, 'functions');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('Unauthorized');
    const deployed = await runLambdata(
      served.url,
      '--token',
      TOKEN,
      'deploy',
      'caller',
      CALLER,
      '--handler',
      'index.handler',
    );
    expect(deployed.stderr).toBe('');
    expect(deployed.code).toBe(0);
    expect((await runLambdata(served.url, '--token', TOKEN, 's3', 'mb', 's3://made-by-cli')).code).toBe(0);
    // The handler's SDK signs with the keys its environment was given: generated ones, accepted here.
    const invoked = await runLambdata(served.url, '--token', TOKEN, 'invoke', 'caller', '{}');
    expect(invoked.code).toBe(0);
    const result = JSON.parse(invoked.stdout);
    expect(result.buckets).toEqual(['made-by-cli']);
    expect(result.keyId).toMatch(/^LDAK[0-9A-F]{16}$/);
  });
});

describe('serve --token --credentials-file', () => {
  let served: Served;
  beforeAll(async () => {
    const file = join(tempDir('keys'), 'credentials');
    writeFileSync(
      file,
      `[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n\n# the one serve uses\n[lambdata]\naws_access_key_id = ${KEYS.accessKeyId}\naws_secret_access_key = ${KEYS.secretAccessKey}\n`,
    );
    served = await serve('--token', TOKEN, '--credentials-file', file, '--profile', 'lambdata');
  });
  afterAll(async () => {
    await served?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('accepts the AWS SDK with the configured keys and refuses test/test', async () => {
    const good = s3(served.url, KEYS);
    const bad = s3(served.url, TEST_KEYS);
    try {
      await good.send(new CreateBucketCommand({ Bucket: 'signed' }));
      const { Buckets } = await good.send(new ListBucketsCommand({}));
      expect(Buckets?.map((b) => b.Name)).toEqual(['signed']);
      await expect(bad.send(new ListBucketsCommand({}))).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
    } finally {
      good.destroy();
      bad.destroy();
    }
  });

  it('accepts a native request signed with the configured keys instead of the token', async () => {
    const target = new URL(`${served.url}/_lambdata/buckets`);
    const sign = (credentials: typeof KEYS) =>
      new SignatureV4({ service: 'lambdata', region: 'us-east-1', credentials, sha256: Sha256 }).sign({
        method: 'GET',
        protocol: 'http:',
        hostname: target.hostname,
        port: Number(target.port),
        path: target.pathname,
        headers: { host: target.host },
      });
    const signed = await sign(KEYS);
    const res = await fetch(target, { headers: signed.headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ buckets: [expect.objectContaining({ name: 'signed' })] });
    const forged = await sign(TEST_KEYS);
    expect((await fetch(target, { headers: forged.headers })).status).toBe(403);
  });

  it('exits 1 at once with one line when another serve holds the port', async () => {
    const { port } = new URL(served.url);
    const started = Date.now();
    const child = spawn(process.execPath, [LAMBDATA_BIN, 'serve', '--port', port, '--data-dir', tempDir('busy')], {
      env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`lambdata: cannot listen on 127.0.0.1:${port}: address already in use\n`);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
