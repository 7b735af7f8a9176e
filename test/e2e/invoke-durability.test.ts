import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DeleteFunctionConcurrencyCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3EventRecord } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine.js';
import { artifactDir } from '../helpers/artifacts.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { fixturePath } from '../helpers/fixtures.js';
import { wholeJsonLines } from '../helpers/recorder.js';
import { WRITES_HOST_FILES } from '../helpers/sandbox.js';

const SERVE = fixturePath('invoke/serve.mjs');

/** Starts an engine + server in a child process on `dataDir`; resolves with its URL. */
function serve(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [SERVE, dataDir], {
    env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'warn', LAMBDATA_RETRY_BASE_MS: '50' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
    lines.once('line', (url) => resolve({ child, url: url.trim() }));
    child.once('exit', (code) => reject(new Error(`engine process exited early (${code})`)));
  });
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

const client = (endpoint: string) =>
  new LambdaClient({
    endpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });

describe('invoke: async events survive kill -9', () => {
  const dir = artifactDir('lambdata-invoke-');
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const child of children) await killHard(child);
    dir.remove();
  });

  it('runs every event accepted with 202 exactly once after a crash and restart', async () => {
    const dataDir = join(dir.path, 'data');
    const ran = join(dir.path, 'ran.log');
    // Deploy with reserved concurrency 0, so every accepted event is still queued when the engine dies.
    const setup = await createEngine({ dataDir, background: false, runtime: { prestart: 0, ...WRITES_HOST_FILES } });
    await setup.functions.create({
      name: 'durable',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/durable') },
      reservedConcurrency: 0,
    });
    await setup.close();

    const first = await serve(dataDir);
    children.push(first.child);
    const lambda1 = client(first.url);
    const ids = Array.from({ length: 8 }, (_, i) => `event-${i}`);
    for (const id of ids) {
      const accepted = await lambda1.send(
        new InvokeCommand({
          FunctionName: 'durable',
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify({ id, file: ran })),
        }),
      );
      expect(accepted.StatusCode).toBe(202);
    }
    lambda1.destroy();
    await killHard(first.child);
    expect(existsSync(ran)).toBe(false);

    const second = await serve(dataDir);
    children.push(second.child);
    const lambda2 = client(second.url);
    try {
      await lambda2.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'durable' }));
      const deadline = Date.now() + 20_000;
      let state = { queueDepth: -1, inUse: -1 };
      // Another process: poll its concurrency endpoint until the queue is drained and nothing runs.
      while (Date.now() < deadline) {
        state = (await (await fetch(`${second.url}/_lambdata/concurrency?function=durable`)).json()) as typeof state;
        if (state.queueDepth === 0 && state.inUse === 0 && existsSync(ran)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(state).toMatchObject({ queueDepth: 0, inUse: 0 });
      const lines = readFileSync(ran, 'utf8').trim().split('\n');
      expect(lines.sort()).toEqual([...ids].sort());
      const recent = (await (await fetch(`${second.url}/_lambdata/invocations?function=durable`)).json()) as {
        invocations: Array<{ outcome: string; attempt: number }>;
      };
      expect(recent.invocations.map((r) => [r.outcome, r.attempt])).toEqual(ids.map(() => ['success', 1]));
    } finally {
      lambda2.destroy();
      await killHard(second.child);
    }
  });

  it('runs an event again after a crash that came while it ran, and never twice while its first attempt runs', async () => {
    const dataDir = join(dir.path, 'data-held');
    const ran = join(dir.path, 'held.log');
    const release = join(dir.path, 'released');
    const setup = await createEngine({ dataDir, background: false, runtime: { prestart: 0, ...WRITES_HOST_FILES } });
    await setup.functions.create({
      name: 'held',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/held') },
      timeoutS: 120,
    });
    await setup.close();
    const runs = () => (existsSync(ran) ? readFileSync(ran, 'utf8').trim().split('\n') : []);
    const until = async (done: () => boolean | Promise<boolean>) => {
      const deadline = Date.now() + 20_000;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out; runs so far: ${runs().join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const event = (lambda: LambdaClient, payload: Record<string, string>) =>
      lambda.send(
        new InvokeCommand({
          FunctionName: 'held',
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify(payload)),
        }),
      );

    const first = await serve(dataDir);
    children.push(first.child);
    const lambda1 = client(first.url);
    expect((await event(lambda1, { id: 'held', file: ran, release })).StatusCode).toBe(202);
    await until(() => runs().includes('held'));
    // More events while it runs: each wakes the dispatcher, which must not start the running one again.
    for (const id of ['quick-1', 'quick-2', 'quick-3']) {
      expect((await event(lambda1, { id, file: ran })).StatusCode).toBe(202);
    }
    await until(() => runs().length === 4);
    // A moment for the passes the quick events' ends wake: none may start 'held' again.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(runs().filter((id) => id === 'held')).toEqual(['held']);
    lambda1.destroy();
    await killHard(first.child);

    writeFileSync(release, '');
    const second = await serve(dataDir);
    children.push(second.child);
    try {
      await until(() => runs().filter((id) => id === 'held').length === 2);
      await until(async () => {
        const state = (await (await fetch(`${second.url}/_lambdata/concurrency?function=held`)).json()) as {
          queueDepth: number;
          inUse: number;
        };
        return state.queueDepth === 0 && state.inUse === 0;
      });
      // At least once: the quick events finished before the crash; one whose removal had not been
      // committed yet may run once more, never more than that.
      const counts = new Map<string, number>();
      for (const id of runs()) counts.set(id, (counts.get(id) ?? 0) + 1);
      expect(counts.get('held')).toBe(2);
      for (const id of ['quick-1', 'quick-2', 'quick-3']) {
        expect(counts.get(id)).toBeGreaterThanOrEqual(1);
        expect(counts.get(id)).toBeLessThanOrEqual(2);
      }
    } finally {
      await killHard(second.child);
    }
  });

  it('delivers the notification of every PutObject acknowledged with 200 after a crash and restart', async () => {
    const dataDir = join(dir.path, 'notify-data');
    const notified = join(dir.path, 'notified.jsonl');
    // Reserved concurrency 0 again: every notification is still queued when the engine dies.
    const setup = await createEngine({ dataDir, background: false, runtime: { prestart: 0, ...WRITES_HOST_FILES } });
    await setup.functions.create({
      name: 'notified',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/collector') },
      environment: { COLLECT_FILE: notified },
      reservedConcurrency: 0,
    });
    setup.objects.createBucket('uploads');
    setup.notifications.putConfiguration('uploads', {
      lambdaFunctionConfigurations: [{ functionArn: 'notified', events: ['s3:ObjectCreated:*'] }],
    });
    await setup.close();

    const first = await serve(dataDir);
    children.push(first.child);
    const s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: first.url, forcePathStyle: true, maxAttempts: 1 });
    const keys = Array.from({ length: 6 }, (_, i) => `upload-${i}`);
    for (const key of keys) {
      const put = await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: key }));
      expect(put.$metadata.httpStatusCode).toBe(200);
    }
    s3.destroy();
    await killHard(first.child);
    expect(existsSync(notified)).toBe(false);

    const second = await serve(dataDir);
    children.push(second.child);
    const lambda2 = client(second.url);
    const delivered = () =>
      wholeJsonLines<{ Records: S3EventRecord[] }>(notified).map((event) => event.Records[0]?.s3.object.key as string);
    try {
      await lambda2.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'notified' }));
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && delivered().length < keys.length) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(delivered().sort()).toEqual([...keys].sort());
    } finally {
      lambda2.destroy();
      await killHard(second.child);
    }
  });
});
