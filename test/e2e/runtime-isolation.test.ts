import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, fn, invoke } from '../fixtures/runtime/harness.js';

describe('runtime: a function that abuses its frame socket (fd 3)', () => {
  let harness: ReturnType<typeof createPool>;
  beforeAll(() => {
    harness = createPool({ prestart: 1 });
  });
  afterAll(() => harness.close());

  for (const kind of ['garbage', 'huge'] as const) {
    it(`fails the run as Runtime.ExitError and replaces the environment (${kind} frame)`, async () => {
      const version = fn('index.frameAbuse');
      const warm = await invoke(harness.pool, version, {});
      expect(warm.outcome).toBe('success');
      const started = performance.now();
      const broken = await invoke(harness.pool, version, { kind });
      // Killed at once: the handler's own 2 s wait never ends, and a 4 GiB frame is never awaited.
      expect(performance.now() - started).toBeLessThan(1500);
      expect(broken.outcome).toBe('unhandled');
      expect(broken.error?.errorType).toBe('Runtime.ExitError');
      expect(broken.error?.errorMessage).toMatch(
        new RegExp(
          `^RequestId: ${broken.requestId} Error: Runtime exited with error: invalid message on the runtime channel`,
        ),
      );
      const again = await invoke(harness.pool, version, {});
      expect(again.outcome).toBe('success');
      expect(again.coldStart).toBe(true);
      expect(again.body).not.toBe(warm.body); // a fresh process
      expect(harness.pool.stats().busy).toBe(0);
    });
  }

  it('cuts a log line or an error longer than a frame may be, instead of breaking the environment', async () => {
    const version = fn('index.longText', { memoryMb: 512 });
    const chars = 17 * 1024 * 1024; // past the engine's 16 MiB frame limit on its own
    const logged = await invoke(harness.pool, version, { chars });
    expect(logged.outcome).toBe('success');
    expect(logged.body).toBe('logged');
    const line = logged.lines.find((l) => l.includes('yyyy')) ?? '';
    expect(line.endsWith('… (truncated)')).toBe(true);
    expect(line.length).toBeLessThan(2 * 1024 * 1024);
    const failed = await invoke(harness.pool, version, { chars, fail: true });
    expect(failed.outcome).toBe('handled');
    expect(failed.error?.errorType).toBe('Error');
    expect(failed.error?.errorMessage.startsWith('zzzz')).toBe(true);
    expect(failed.error?.errorMessage.length).toBeLessThan(1024 * 1024);
    expect(failed.coldStart).toBe(false); // the same environment served both
  });
});
