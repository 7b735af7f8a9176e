/**
 * Node environments run with V8 heap limits derived from their function's memory size, as on AWS
 * (a tenth for the young generation, the rest for the old), whether the environment was pre-started
 * blank or started for its function (NODE_OPTIONS); a heap flag in NODE_OPTIONS wins.
 */
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { zipFixture } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let lambda: LambdaClient;

beforeAll(async () => {
  server = await startTestServer('heap-limits');
  lambda = new LambdaClient({ endpoint: server.url, ...AWS_TEST_CONFIG });
});
afterAll(async () => {
  lambda?.destroy();
  await server?.close();
});

async function deploy(name: string, handler: string, memoryMb: number, variables: Record<string, string> = {}) {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::000000000000:role/lambda',
      Handler: handler,
      MemorySize: memoryMb,
      Timeout: 60,
      Environment: { Variables: variables },
      Code: { ZipFile: zipFixture('runtime/heap') },
    }),
  );
}

async function invoke(name: string): Promise<{ error?: string; body: Record<string, unknown> }> {
  const out = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: '{}' }));
  return { error: out.FunctionError, body: JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8')) };
}

/** V8 reports old space plus its young generation: the memory size give or take a tenth (V8's default is GBs). */
function expectHeapLimitNear(heapLimitMb: unknown, memoryMb: number): void {
  expect(heapLimitMb).toBeGreaterThanOrEqual(memoryMb * 0.9);
  expect(heapLimitMb).toBeLessThanOrEqual(memoryMb * 1.1);
}

describe('V8 heap limits of Node environments', () => {
  it('sizes the heap from the memory size in pre-started environments, for the default and other sizes', async () => {
    for (const memoryMb of [128, 512, 1024]) {
      await deploy(`heap-${memoryMb}`, 'index.limit', memoryMb);
      const first = await invoke(`heap-${memoryMb}`);
      expect(first.error).toBeUndefined();
      expectHeapLimitNear(first.body.heapLimitMb, memoryMb);
    }
    // A second function of a non-default size takes a blank pre-started for that size: same limits.
    await deploy('heap-512-again', 'index.limit', 512);
    expectHeapLimitNear((await invoke('heap-512-again')).body.heapLimitMb, 512);
  }, 60_000);

  it('sizes the heap of an environment started for its function (NODE_OPTIONS), where a heap flag of its own wins', async () => {
    await deploy('heap-own-process', 'index.limit', 256, { NODE_OPTIONS: '--enable-source-maps' });
    expectHeapLimitNear((await invoke('heap-own-process')).body.heapLimitMb, 256);
    await deploy('heap-own-flag', 'index.limit', 256, { NODE_OPTIONS: '--max-old-space-size=600' });
    const own = (await invoke('heap-own-flag')).body.heapLimitMb as number;
    expect(own).toBeGreaterThanOrEqual(600);
    expect(own).toBeLessThan(700);
  }, 60_000);

  it('lets a 128 MB function churn through ~300 MB of short-lived objects without an out-of-memory kill', async () => {
    // With V8's default limits the heap grows to ~170 MB before V8 collects, past the memory size.
    await deploy('heap-churn', 'index.churn', 128);
    const out = await invoke('heap-churn');
    expect(out.error).toBeUndefined();
    expect(out.body).toEqual({ kept: 2 });
    const [record] = server.engine.invocations.recent({ functionName: 'heap-churn' });
    expect(record?.maxMemoryUsedMb).toBeLessThanOrEqual(128);
  }, 60_000);
});
