import { availableParallelism } from 'node:os';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionVersion } from '../../src/invoke/types.js';
import { createPool, fn, invoke } from '../fixtures/runtime/harness.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { zipFixture } from '../helpers/fixtures.js';
import { startTestServer } from '../helpers/server.js';

interface Probe {
  env: string;
  requestId: string;
  remaining: number;
  count: number;
  start: number;
  end: number;
}

// A fast function's runs queue inside its busy environments (src/runtime/pipeline.ts); what a user
// relies on must not change for them.
describe('runtime: runs queued in busy environments', () => {
  let harness: ReturnType<typeof createPool>;
  beforeAll(() => {
    harness = createPool({ prestart: 2 });
  });
  afterAll(async () => {
    await harness.close();
  });

  /** Measured as fast (warm no-op runs), with two warm environments. */
  async function fastFunction(timeoutS: number): Promise<FunctionVersion> {
    const version = fn('index.probe', { timeoutS });
    for (let i = 0; i < 5; i++) await invoke(harness.pool, version);
    await Promise.all([invoke(harness.pool, version), invoke(harness.pool, version)]);
    for (let i = 0; i < 5; i++) await invoke(harness.pool, version);
    return version;
  }

  it('runs a burst one invocation at a time per environment, each with its own id, clock, logs and module state', async () => {
    const version = await fastFunction(3);
    const results = await Promise.all(Array.from({ length: 40 }, () => invoke(harness.pool, version, { ms: 2 })));
    expect(results.filter((r) => r.outcome !== 'success')).toEqual([]);
    const byEnv = new Map<string, Probe[]>();
    for (const result of results) {
      const probe = result.body as Probe;
      expect(probe.requestId).toBe(result.requestId);
      // Its timeout started when it did, not when it was queued.
      expect(probe.remaining).toBeGreaterThan(2500);
      expect(result.durationMs).toBeLessThan(1000);
      const own = result.lines.filter((line) => line.includes('probe '));
      expect(own).toHaveLength(1);
      expect(own[0]).toContain(`\t${result.requestId}\tINFO\tprobe ${result.requestId}`);
      byEnv.set(probe.env, [...(byEnv.get(probe.env) ?? []), probe]);
    }
    for (const probes of byEnv.values()) {
      probes.sort((a, b) => a.start - b.start);
      for (let i = 1; i < probes.length; i++) {
        // One at a time: each started after the one before it in this environment ended.
        expect(probes[i].start).toBeGreaterThanOrEqual(probes[i - 1].end);
        // The module's state carries over from one run to the next, as in any warm environment.
        expect(probes[i].count).toBeGreaterThan(probes[i - 1].count);
      }
    }
    harness.pool.retire(version.name);
  });

  it('runs the calls queued behind calls that time out, each with its own full timeout, unbilled for the wait', async () => {
    const version = await fastFunction(1);
    const cap = Math.max(2, 2 * availableParallelism());
    // CPU-bound calls past the timeout: their environments cannot give queued runs back; they are killed.
    const spinning = Array.from({ length: cap }, () => invoke(harness.pool, version, { spinMs: 3000 }));
    const quick = Array.from({ length: 6 }, () => invoke(harness.pool, version));
    const spun = await Promise.all(spinning);
    expect(spun.map((r) => r.outcome)).toEqual(Array(cap).fill('timeout'));
    const results = await Promise.all(quick);
    expect(results.map((r) => r.outcome)).toEqual(Array(6).fill('success'));
    for (const result of results) {
      const probe = result.body as Probe;
      expect(probe.remaining).toBeGreaterThan(800);
      expect(result.durationMs).toBeLessThan(500);
      expect(spun.some((r) => r.lines.some((line) => line.includes(result.requestId)))).toBe(false);
    }
    harness.pool.retire(version.name);
  });

  it('runs the calls queued behind calls that end their process, and fails only those', async () => {
    const version = await fastFunction(3);
    const cap = Math.max(2, 2 * availableParallelism());
    const crashing = Array.from({ length: cap }, () => invoke(harness.pool, version, { spinMs: 100, exit: true }));
    const quick = Array.from({ length: 6 }, () => invoke(harness.pool, version));
    const crashed = await Promise.all(crashing);
    expect(crashed.map((r) => r.error?.errorType)).toEqual(Array(cap).fill('Runtime.ExitError'));
    const results = await Promise.all(quick);
    expect(results.map((r) => r.outcome)).toEqual(Array(6).fill('success'));
    for (const result of results) expect((result.body as Probe).requestId).toBe(result.requestId);
    harness.pool.retire(version.name);
  });

  it('takes a queued call back when the call ahead of it runs long, so it does not wait for it', async () => {
    const version = await fastFunction(10);
    const slow = [invoke(harness.pool, version, { ms: 3000 }), invoke(harness.pool, version, { ms: 3000 })];
    const started = performance.now();
    const quick = await Promise.all(Array.from({ length: 4 }, () => invoke(harness.pool, version)));
    expect(quick.map((r) => r.outcome)).toEqual(Array(4).fill('success'));
    // Well before the slow calls end (a cold start or two on a loaded machine fits in this).
    expect(performance.now() - started).toBeLessThan(2500);
    expect((await Promise.all(slow)).map((r) => r.outcome)).toEqual(['success', 'success']);
    harness.pool.retire(version.name);
  });
});

describe('runtime: queued runs through the Lambda API', () => {
  it("keeps each invocation's START, lines, END and REPORT to itself under a burst", async () => {
    const t = await startTestServer('pipelining');
    const lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: t.url, maxAttempts: 1 });
    try {
      await lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'echo',
          Runtime: 'nodejs20.x',
          Role: 'arn:aws:iam::000000000000:role/test-role',
          Handler: 'index.handler',
          Code: { ZipFile: zipFixture('lambda/echo') },
        }),
      );
      const call = (n: number) =>
        lambda.send(
          new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from(JSON.stringify({ n })), LogType: 'Tail' }),
        );
      for (let n = 0; n < 5; n++) await call(-1); // measured as fast
      const answers = await Promise.all(Array.from({ length: 40 }, (_, n) => call(n)));
      answers.forEach((answer, n) => {
        expect(answer.FunctionError).toBeUndefined();
        expect(JSON.parse(Buffer.from(answer.Payload ?? []).toString()).event).toEqual({ n });
        const log = Buffer.from(answer.LogResult ?? '', 'base64')
          .toString()
          .trimEnd()
          .split('\n');
        const id = /^START RequestId: (\S+)/.exec(log[0])?.[1];
        expect(id).toBeDefined();
        expect(log).toHaveLength(4);
        expect(log[1]).toContain(`\t${id}\tINFO\techo got {"n":${n}}`);
        expect(log[2]).toBe(`END RequestId: ${id}`);
        expect(log[3]).toMatch(new RegExp(`^REPORT RequestId: ${id}\tDuration: `));
      });
    } finally {
      lambda.destroy();
      await t.close();
    }
  });
});
