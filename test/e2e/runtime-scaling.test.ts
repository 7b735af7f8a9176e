import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionVersion } from '../../src/invoke/types.js';
import type { RunResult } from '../../src/runtime/index.js';
import { createPool, FIXTURES, fn, invoke } from '../fixtures/runtime/harness.js';

describe('runtime: how many environments a burst gets', () => {
  let harness: ReturnType<typeof createPool>;
  beforeAll(() => {
    harness = createPool({ prestart: 2 });
  });
  afterAll(async () => {
    await harness.close();
  });

  it('queues a burst of a fast function on a few warm environments instead of one process per call', async () => {
    const version = fn('index.echo');
    // Measured: its warm runs take well under a millisecond.
    for (let i = 0; i < 3; i++) await invoke(harness.pool, version, { i: -1 });
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => invoke(harness.pool, version, { i })));
    expect(results.map((r) => r.body.i)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(results.every((r) => r.outcome === 'success')).toBe(true);
    const cap = Math.max(2, 2 * availableParallelism());
    // A little slack: a waiter starts its own environment when nothing finished for a while (a stalled machine).
    expect(harness.pool.stats().environments).toBeLessThanOrEqual(Math.min(cap + 2, 20));
  });

  it('keeps a fast function on a few busy environments even when an earlier slow burst left it many idle', async () => {
    const version = fn('index.pidAfter');
    // Runs far longer than a start (a waiter waits up to one start's time before it starts its own).
    const burst = await Promise.all(Array.from({ length: 16 }, () => invoke(harness.pool, version, { ms: 1000 })));
    expect(new Set(burst.map((r) => r.body)).size).toBe(16); // slow runs: one environment each
    for (let i = 0; i < 5; i++) await invoke(harness.pool, version, { ms: 0 }); // now measured as fast
    const results = await Promise.all(Array.from({ length: 48 }, () => invoke(harness.pool, version, { ms: 0 })));
    expect(results.every((r) => r.outcome === 'success')).toBe(true);
    const cap = Math.max(2, 2 * availableParallelism());
    // Slack as above; without the cap every idle environment would take part (16).
    expect(new Set(results.map((r) => r.body)).size).toBeLessThanOrEqual(Math.min(cap + 2, 12));
    harness.pool.retire(version.name);
  });

  it('shrinks back to a few busy environments once a function that ran slow turns fast again', async () => {
    const version = fn('index.pidAfter');
    const cap = Math.max(2, 2 * availableParallelism());
    const callers = Math.min(cap + 8, 24);
    const burst = () => Promise.all(Array.from({ length: callers }, () => invoke(harness.pool, version, { ms: 150 })));
    await burst(); // one environment per call (cold)
    await burst(); // warm and slow: measured as slow, so nothing queues
    const rounds: number[][] = Array.from({ length: 30 }, () => []);
    await Promise.all(
      Array.from({ length: callers }, async (_, caller) => {
        for (let round = 0; round < 30; round++) {
          const { body } = await invoke(harness.pool, version, { ms: 0 });
          (rounds[round] as number[])[caller] = body;
        }
      }),
    );
    expect(new Set(rounds[0]).size).toBeGreaterThan(cap + 2); // still measured as slow: spread out
    // Fast again: environments past the cap rest instead of taking the next waiter.
    expect(new Set(rounds.slice(-5).flat()).size).toBeLessThanOrEqual(cap + 2);
    harness.pool.retire(version.name);
  });

  it('serves a burst of short runs of a function with a costly init from a few environments, not one start each', async () => {
    const version = fn('index.handler', { codeDir: join(FIXTURES, 'heavy-init'), timeoutS: 30 });
    await invoke(harness.pool, version, { ms: 20 }); // measured: a start costs ~300 ms, a run ~20 ms
    await invoke(harness.pool, version, { ms: 20 });
    const results = await Promise.all(Array.from({ length: 60 }, () => invoke(harness.pool, version, { ms: 20 })));
    expect(results.every((r) => r.outcome === 'success')).toBe(true);
    // Queued behind their warm ones, each run waits less than a start would take; one start per call
    // (60 inits of 300 ms of CPU on these cores) would take longer than all the runs together.
    expect(new Set(results.map((r) => r.body)).size).toBeLessThanOrEqual(12);
    harness.pool.retire(version.name);
  });

  it('waits for the first starts of a new function with a costly init instead of starting one per call', async () => {
    const version = fn('index.handler', { codeDir: join(FIXTURES, 'heavy-init'), timeoutS: 30 });
    const results = await Promise.all(Array.from({ length: 40 }, () => invoke(harness.pool, version, { ms: 20 })));
    expect(results.every((r) => r.outcome === 'success')).toBe(true);
    expect(new Set(results.map((r) => r.body)).size).toBeLessThanOrEqual(12);
    harness.pool.retire(version.name);
  });

  it('still gives every concurrent run of a slow function its own environment', async () => {
    const version = fn('index.sleep');
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 6 }, () => invoke(harness.pool, version, { ms: 1000 })));
    const elapsed = performance.now() - started;
    expect(results.map((r) => r.body)).toEqual(Array(6).fill('woke'));
    expect(results.every((r) => r.coldStart)).toBe(true); // none waited behind another's 1 s run
    expect(elapsed).toBeLessThan(6 * 1000);
  });

  it('runs 10 slow calls at once even when the function was measured as fast before', async () => {
    const version = fn('index.span', { timeoutS: 10 });
    for (let i = 0; i < 5; i++) await invoke(harness.pool, version, { ms: 0 }); // measured: fast
    // Long enough that ten sandboxes starting side by side on two busy cores still overlap.
    const results = await Promise.all(Array.from({ length: 10 }, () => invoke(harness.pool, version, { ms: 5000 })));
    const spans = results.map((r) => r.body as { pid: number; start: number; end: number });
    expect(new Set(spans.map((s) => s.pid)).size).toBe(10);
    // All ten were inside their handler at the same instant: none waited for another to finish.
    expect(Math.max(...spans.map((s) => s.start))).toBeLessThan(Math.min(...spans.map((s) => s.end)));
    harness.pool.retire(version.name);
  });

  it('serves quick calls of a fast function promptly while cap-many of its calls run long', async () => {
    const version = fn('index.announced', { timeoutS: 10 });
    for (let i = 0; i < 5; i++) await invoke(harness.pool, version, { ms: 0 }); // measured: fast
    const cap = Math.max(2, 2 * availableParallelism());
    // Long enough that the quick calls' own cold starts on two loaded cores fit well inside it.
    const long = startAll(harness.pool, version, cap, { ms: 3000 });
    await long.inFlight;
    const started = performance.now();
    const quick = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const results = [];
        for (let i = 0; i < 10; i++) results.push(await invoke(harness.pool, version, { ms: 0 }));
        return results;
      }),
    );
    const elapsed = performance.now() - started;
    expect(quick.flat().filter((r) => r.outcome !== 'success')).toEqual([]);
    // With the long runs counted against the cap, every quick call stalled until they ended (3 s).
    expect(elapsed).toBeLessThan(2000);
    const longResults = await long.done;
    expect(longResults.every((r) => r.outcome === 'success')).toBe(true);
    harness.pool.retire(version.name);
  });
});

/** Starts `count` runs at once; `inFlight` resolves when every handler has logged its start. */
function startAll(
  pool: ReturnType<typeof createPool>['pool'],
  version: FunctionVersion,
  count: number,
  event: unknown,
) {
  let started = 0;
  let allStarted = () => {};
  const inFlight = new Promise<void>((resolve) => {
    allStarted = resolve;
  });
  const done: Promise<RunResult[]> = Promise.all(
    Array.from({ length: count }, (_, i) =>
      pool.run({
        fn: version,
        requestId: `long-${i}`,
        payload: Buffer.from(JSON.stringify(event)),
        invokedFunctionArn: version.arn,
        onLog: () => {
          if (++started === count) allStarted();
        },
      }),
    ),
  );
  return { inFlight, done };
}
