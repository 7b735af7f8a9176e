import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DeleteFunctionConcurrencyCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3EventRecord } from 'aws-lambda';
import Database from 'better-sqlite3';
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

/**
 * Deploys a function into `dataDir` with an engine that runs nothing, then closes it, so the test's
 * servers start on a data dir that already has it. `prepare` adds what else the test needs.
 */
async function deploy(
  dataDir: string,
  fn: {
    name: string;
    fixture: string;
    reservedConcurrency?: number;
    timeoutS?: number;
    environment?: Record<string, string>;
  },
  prepare?: (engine: Awaited<ReturnType<typeof createEngine>>) => void,
): Promise<void> {
  const engine = await createEngine({ dataDir, background: false, runtime: { prestart: 0, ...WRITES_HOST_FILES } });
  try {
    const { fixture, ...options } = fn;
    await engine.functions.create({ handler: 'index.handler', code: { dir: fixturePath(fixture) }, ...options });
    prepare?.(engine);
  } finally {
    await engine.close();
  }
}

/** Resolves once `done` holds, polling every 20 ms; throws after 20 s with `describe()` in the message. */
async function until(done: () => boolean | Promise<boolean>, describe: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The server's concurrency answer for one function: its queued events and its executions in flight. */
async function concurrency(url: string, name: string): Promise<{ queueDepth: number; running: number }> {
  const answer = (await (await fetch(`${url}/_lambdata/concurrency?function=${name}`)).json()) as {
    queueDepth: number;
    byFunction: Record<string, number>;
  };
  return { queueDepth: answer.queueDepth, running: answer.byFunction[name] ?? 0 };
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
  /** Starts a server process on `dataDir`, killed after the tests if the test does not kill it. */
  const start = async (dataDir: string) => {
    const started = await serve(dataDir);
    children.push(started.child);
    return started;
  };

  it('runs every event accepted with 202 exactly once after a crash and restart', async () => {
    const dataDir = join(dir.path, 'data');
    const ran = join(dir.path, 'ran.log');
    // Deploy with reserved concurrency 0, so every accepted event is still queued when the engine dies.
    await deploy(dataDir, { name: 'durable', fixture: 'invoke/durable', reservedConcurrency: 0 });

    const first = await start(dataDir);
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

    const second = await start(dataDir);
    const lambda2 = client(second.url);
    try {
      await lambda2.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'durable' }));
      // Another process: poll its concurrency endpoint until the queue is drained and nothing runs.
      let state = { queueDepth: -1, running: -1 };
      await until(
        async () => {
          state = await concurrency(second.url, 'durable');
          return state.queueDepth === 0 && state.running === 0 && existsSync(ran);
        },
        () => JSON.stringify(state),
      );
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
    await deploy(dataDir, { name: 'held', fixture: 'invoke/held', timeoutS: 120 });
    const runs = () => (existsSync(ran) ? readFileSync(ran, 'utf8').trim().split('\n') : []);
    const runsSoFar = () => `; runs so far: ${runs().join(', ')}`;
    const event = (lambda: LambdaClient, payload: Record<string, string>) =>
      lambda.send(
        new InvokeCommand({
          FunctionName: 'held',
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify(payload)),
        }),
      );

    const first = await start(dataDir);
    const lambda1 = client(first.url);
    expect((await event(lambda1, { id: 'held', file: ran, release })).StatusCode).toBe(202);
    await until(() => runs().includes('held'), runsSoFar);
    // More events while it runs: each wakes the dispatcher, which must not start the running one again.
    for (const id of ['quick-1', 'quick-2', 'quick-3']) {
      expect((await event(lambda1, { id, file: ran })).StatusCode).toBe(202);
    }
    await until(() => runs().length === 4, runsSoFar);
    // The quick events' rows are deleted only by a dispatch pass that ran after their ends woke it, and
    // every such pass reads the held event's row: once they are gone, none of them may have started it again.
    const db = new Database(join(dataDir, 'lambdata.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = () => (db.prepare('SELECT id FROM deliveries').all() as Array<{ id: string }>).length;
      await until(
        () => rows() === 1,
        () => `; ${rows()} delivery rows left`,
      );
    } finally {
      db.close();
    }
    expect(await concurrency(first.url, 'held')).toEqual({ queueDepth: 0, running: 1 });
    expect(runs().filter((id) => id === 'held')).toEqual(['held']);
    lambda1.destroy();
    await killHard(first.child);

    writeFileSync(release, '');
    const second = await start(dataDir);
    try {
      await until(() => runs().filter((id) => id === 'held').length === 2, runsSoFar);
      await until(async () => {
        const state = await concurrency(second.url, 'held');
        return state.queueDepth === 0 && state.running === 0;
      }, runsSoFar);
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
    await deploy(
      dataDir,
      {
        name: 'notified',
        fixture: 'invoke/collector',
        environment: { COLLECT_FILE: notified },
        reservedConcurrency: 0,
      },
      (engine) => {
        engine.objects.createBucket('uploads');
        engine.notifications.putConfiguration('uploads', {
          lambdaFunctionConfigurations: [{ functionArn: 'notified', events: ['s3:ObjectCreated:*'] }],
        });
      },
    );

    const first = await start(dataDir);
    const s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: first.url, forcePathStyle: true, maxAttempts: 1 });
    const keys = Array.from({ length: 6 }, (_, i) => `upload-${i}`);
    for (const key of keys) {
      const put = await s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: key }));
      expect(put.$metadata.httpStatusCode).toBe(200);
    }
    s3.destroy();
    await killHard(first.child);
    expect(existsSync(notified)).toBe(false);

    const second = await start(dataDir);
    const lambda2 = client(second.url);
    const delivered = () =>
      wholeJsonLines<{ Records: S3EventRecord[] }>(notified).map((event) => event.Records[0]?.s3.object.key as string);
    try {
      await lambda2.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'notified' }));
      await until(
        () => delivered().length >= keys.length,
        () => `; delivered ${delivered().join(', ')}`,
      );
      expect(delivered().sort()).toEqual([...keys].sort());
    } finally {
      lambda2.destroy();
      await killHard(second.child);
    }
  });
});
