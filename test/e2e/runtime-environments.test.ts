import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvironmentPool } from '../../src/runtime/index.js';
import { createPool, FIXTURES, fn, invoke, taskRoot } from '../fixtures/runtime/harness.js';

describe('runtime: environments, limits and isolation', () => {
  let harness: ReturnType<typeof createPool>;
  beforeAll(() => {
    process.env.LAMBDATA_SECRET = 'engine-only';
    harness = createPool({ prestart: 2 });
  });
  afterAll(async () => {
    delete process.env.LAMBDATA_SECRET;
    await harness.close();
  });

  it('reuses a warm environment: module state persists and only the cold start has an Init Duration', async () => {
    const version = fn('index.counter');
    const first = await invoke(harness.pool, version);
    const second = await invoke(harness.pool, version);
    const third = await invoke(harness.pool, version);
    expect([first.body, second.body, third.body]).toEqual([1, 2, 3]);
    expect(first.coldStart).toBe(true);
    expect(first.initDurationMs).toBeGreaterThan(0);
    expect(second.coldStart).toBe(false);
    expect(second.initDurationMs).toBeNull();
    expect(third.maxMemoryUsedMb).toBeGreaterThan(10);
    expect(third.maxMemoryUsedMb).toBeLessThan(128);
    await waitFor(() => harness.pool.stats().prestarted === 2); // the runtime handed out is replaced
  });

  it('runs simultaneous invocations of one function in separate environments', async () => {
    const version = fn('index.counter');
    const [a, b] = await Promise.all([invoke(harness.pool, version), invoke(harness.pool, version)]);
    expect([a.body, b.body]).toEqual([1, 1]);
    expect(a.coldStart && b.coldStart).toBe(true);
    expect(harness.pool.stats().idle).toBeGreaterThanOrEqual(2);
  });

  it('gives a function only its own variables plus the AWS ones, never the engine environment', async () => {
    const version = fn('index.env', { environment: { TABLE: 'orders', AWS_REGION: 'mars-1' } });
    const { body } = await invoke(harness.pool, version);
    expect(body.LAMBDATA_SECRET).toBeUndefined();
    expect(body).toMatchObject({
      TABLE: 'orders',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: version.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${version.name}`,
      LAMBDA_TASK_ROOT: taskRoot(harness.pool, version),
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
      TZ: ':UTC',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
      AWS_ACCESS_KEY_ID: 'AKIDTEST',
      AWS_SECRET_ACCESS_KEY: 'secret-test',
    });
    const allowed = /^(AWS_|LAMBDA_|_HANDLER$|TZ$|LANG$|PATH$|NODE_PATH$|TMPDIR$|HOME$|TABLE$)/;
    expect(Object.keys(body).filter((key) => !allowed.test(key))).toEqual([]);
  });

  it('gives each environment a private /tmp with the ephemeral storage limit, removed when it goes', async () => {
    const a = fn('index.tmp', { ephemeralStorageMb: 1 });
    const b = fn('index.tmp', { ephemeralStorageMb: 1 });
    const first = await invoke(harness.pool, a, {
      name: 'a.txt',
      content: 'from a',
      other: 'b.txt',
      bigBytes: 512 * 1024,
    });
    expect(first.body).toMatchObject({ sawOther: false, readBack: 'from a', big: 'written', stream: 'ENOSPC' });
    const isolated = harness.pool.sandbox.level !== 'process';
    // In a sandbox /tmp is the environment's own tmpfs; otherwise a directory of the data dir.
    if (isolated) expect(first.body.tmpdir).toBe('/tmp');
    else {
      expect(first.body.tmpdir.startsWith(join(harness.dataDir, 'tmp'))).toBe(true);
      expect(existsSync(join(first.body.tmpdir, 'a.txt'))).toBe(true);
    }
    const second = await invoke(harness.pool, b, {
      name: 'b.txt',
      content: 'from b',
      other: 'a.txt',
      bigBytes: 2 * 1024 * 1024,
    });
    expect(second.body).toMatchObject({ sawOther: false, readBack: 'from b', big: 'ENOSPC', stream: 'ENOSPC' });
    if (isolated) return; // a tmpfs goes with its namespace
    expect(second.body.tmpdir).not.toBe(first.body.tmpdir);
    harness.pool.retire(a.name);
    await waitFor(() => !existsSync(first.body.tmpdir));
  });

  it('kills an invocation at its timeout with the AWS message, and the next run works', async () => {
    const version = fn('index.sleep', { timeoutS: 0.25 });
    const result = await invoke(harness.pool, version, { ms: 5000 });
    expect(result.outcome).toBe('timeout');
    expect(result.error).toEqual({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 0.25 seconds' });
    expect(result.durationMs).toBeGreaterThanOrEqual(250);
    expect(result.durationMs).toBeLessThan(1000);
    const next = await invoke(harness.pool, version, { ms: 1 });
    expect(next).toMatchObject({ outcome: 'success', body: 'woke', coldStart: true });
  });

  it('kills a handler that allocates past its memory with an OOM, and the next run works', async () => {
    const version = fn('index.hog', { memoryMb: 128 });
    const result = await invoke(harness.pool, version, { mb: 400 });
    expect(result.outcome).toBe('oom');
    expect(result.error?.errorType).toBe('Runtime.OutOfMemory');
    expect(result.maxMemoryUsedMb).toBeGreaterThanOrEqual(128);
    const next = await invoke(harness.pool, version, { mb: 8 });
    expect(next).toMatchObject({ outcome: 'success', body: 1 });
  });

  it('reports the real peak as Max Memory Used: a spike shows in its own REPORT and in every later one', async () => {
    const version = fn('index.hog', { memoryMb: 512 });
    const before = await invoke(harness.pool, version, { mb: 0 });
    const calm = await invoke(harness.pool, version, { mb: 0 });
    const spike = await invoke(harness.pool, version, { mb: 96 });
    const after = await invoke(harness.pool, version, { mb: 0 });
    expect([before, calm, spike, after].map((r) => r.outcome)).toEqual(['success', 'success', 'success', 'success']);
    expect(calm.maxMemoryUsedMb).toBeGreaterThanOrEqual(before.maxMemoryUsedMb);
    expect(spike.maxMemoryUsedMb).toBeGreaterThanOrEqual(calm.maxMemoryUsedMb + 90);
    expect(after.maxMemoryUsedMb).toBeGreaterThanOrEqual(spike.maxMemoryUsedMb);
  });

  it('measures an environment by its own memory, not that of the large engine it was forked from', async () => {
    // Hold ~600 MB resident in this (engine) process, then start a fresh 128 MB environment.
    const ballast = Buffer.alloc(600 * 1024 * 1024, 1);
    const fresh = createPool({ prestart: 0 });
    try {
      const result = await invoke(fresh.pool, fn('index.noop', { memoryMb: 128 }), {});
      expect(result.outcome).toBe('success');
      expect(result.maxMemoryUsedMb).toBeLessThan(128);
    } finally {
      await fresh.close();
      expect(ballast[ballast.length - 1]).toBe(1);
    }
  });

  it('starts a function with NODE_OPTIONS in its own process, preload and heap cap applied', async () => {
    const version = fn('index.handler', {
      codeDir: join(FIXTURES, 'preload'),
      environment: { NODE_OPTIONS: '--require ./preload.cjs' },
      memoryMb: 256,
    });
    const result = await invoke(harness.pool, version);
    expect(result.outcome).toBe('success');
    expect(result.body.preloaded).toBe('yes');
    expect(result.body.heapMb).toBeLessThan(400);
    const plain = await invoke(harness.pool, fn('index.handler', { codeDir: join(FIXTURES, 'preload') }));
    expect(plain.body.preloaded).toBe('no');
  });

  it('reaps idle environments after idleMs and cleans leftover tmp dirs at start', async () => {
    const reaping = createPool({ prestart: 0, idleMs: 50 });
    try {
      const version = fn('index.counter');
      await invoke(reaping.pool, version);
      expect(reaping.pool.stats().idle).toBe(1);
      await waitFor(() => reaping.pool.stats().environments === 0);
      const again = await invoke(reaping.pool, version);
      expect(again.coldStart).toBe(true);
      expect(again.body).toBe(1);
    } finally {
      await reaping.close();
    }
  });

  it('removes leftover tmp dirs of a previous engine when a pool starts', async () => {
    const first = createPool({ prestart: 0 });
    const stale = join(first.dataDir, 'tmp', 'f'.repeat(32));
    mkdirSync(stale);
    writeFileSync(join(stale, 'left.txt'), 'over');
    const second = new EnvironmentPool(first.context, { prestart: 0 });
    try {
      expect(existsSync(stale)).toBe(false);
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('kills the processes a function started along with its environment', async () => {
    const version = fn('index.spawnsChild');
    const { body: seconds } = await invoke(harness.pool, version);
    expect(isRunning(seconds)).toBe(true);
    harness.pool.retire(version.name);
    await waitFor(() => !isRunning(seconds));
  });

  it('drops a retired function: idle environments at once, busy ones after their run', async () => {
    const version = fn('index.sleep');
    const running = invoke(harness.pool, version, { ms: 100 });
    await waitFor(() => harness.pool.stats().busy > 0);
    harness.pool.retire(version.name);
    expect((await running).body).toBe('woke');
    const next = await invoke(harness.pool, version, { ms: 1 });
    expect(next.coldStart).toBe(true);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** True while a `sleep <seconds>` runs anywhere on the machine (seen from the host, whatever its namespace). */
function isRunning(seconds: string): boolean {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'latin1') === `sleep\0${seconds}\0`) return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ESRCH')
        throw err;
    }
  }
  return false;
}
