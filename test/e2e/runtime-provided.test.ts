import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, FIXTURES, fn, invoke } from '../fixtures/runtime/harness.js';

const PROVIDED = join(FIXTURES, 'provided');

describe('runtime: custom runtimes over the Lambda Runtime API', () => {
  let harness: ReturnType<typeof createPool>;
  beforeAll(() => {
    harness = createPool({ prestart: 0 });
  });
  afterAll(() => harness.close());

  it('runs an executable bootstrap, reuses it warm and captures its output', async () => {
    const version = fn('function.handler', { runtime: 'provided.al2023', codeDir: PROVIDED });
    const first = await invoke(harness.pool, version, { x: 1 }, 'req-custom-1');
    expect(first.outcome).toBe('success');
    expect(first.body).toEqual({
      count: 1,
      event: { x: 1 },
      handler: 'function.handler',
      arn: version.arn,
      inTime: true,
    });
    expect(first.coldStart).toBe(true);
    expect(first.initDurationMs).toBeGreaterThan(0);
    expect(first.maxMemoryUsedMb).toBeGreaterThan(0);
    // A custom runtime's output is logged as written, as AWS does.
    expect(first.lines).toEqual(['custom runtime got {"x":1}']);
    const second = await invoke(harness.pool, version, { x: 2 });
    expect(second).toMatchObject({ outcome: 'success', coldStart: false, body: { count: 2 } });
  });

  it('reports invocation errors and init errors posted by the runtime as unhandled', async () => {
    const version = fn('function.handler', { runtime: 'provided', codeDir: PROVIDED });
    const failed = await invoke(harness.pool, version, { fail: true });
    expect(failed).toMatchObject({
      outcome: 'unhandled',
      error: { errorType: 'Custom.Failure', errorMessage: 'asked to fail' },
    });
    const initFailed = await invoke(harness.pool, fn('function.initfail', { runtime: 'provided', codeDir: PROVIDED }));
    expect(initFailed).toMatchObject({
      outcome: 'unhandled',
      error: { errorType: 'Custom.InitFailed', errorMessage: 'no config' },
    });
    const missing = await invoke(harness.pool, fn('function.handler', { runtime: 'provided', codeDir: FIXTURES }));
    expect(missing).toMatchObject({ outcome: 'unhandled', error: { errorType: 'Runtime.InvalidEntrypoint' } });
  });
});
