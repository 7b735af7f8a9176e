import { afterEach, describe, expect, it } from 'vitest';
import { type TestContext, testContext } from '../../test/helpers/engine-context.js';
import { Billing } from './billing.js';
import type { InvocationRecord } from './types.js';

const contexts: TestContext[] = [];
function context(): TestContext {
  const ctx = testContext('billing');
  contexts.push(ctx);
  return ctx;
}

function record(over: Partial<InvocationRecord>): InvocationRecord {
  return {
    requestId: Math.random().toString(36),
    functionName: 'f',
    version: '$LATEST',
    trigger: 'api',
    invocationType: 'RequestResponse',
    startedAt: 1000,
    durationMs: 10,
    billedDurationMs: 10,
    initDurationMs: null,
    memorySizeMb: 128,
    maxMemoryUsedMb: 40,
    outcome: 'success',
    gbSeconds: 0,
    costUsd: 0,
    attempt: 1,
    ...over,
  };
}

describe('Billing', () => {
  afterEach(() => {
    for (const ctx of contexts.splice(0)) ctx.dispose();
  });

  it('rounds up to the granularity and prices GB-seconds plus the request charge', () => {
    const ms = new Billing(context());
    expect([ms.billedDuration(0), ms.billedDuration(12.01), ms.billedDuration(13)]).toEqual([1, 13, 13]);
    const old = new Billing(context(), { granularityMs: 100 });
    expect([old.billedDuration(1), old.billedDuration(100), old.billedDuration(100.5)]).toEqual([100, 100, 200]);
    const { gbSeconds, costUsd } = ms.cost(2048, 1500);
    expect(gbSeconds).toBe(3);
    expect(costUsd).toBeCloseTo(3 * 0.0000166667 + 0.0000002, 15);
    expect(() => new Billing(context(), { perGbSecond: -1 })).toThrow(/perGbSecond/);
  });

  it('summarises by function, trigger and time, leaving throttles out', () => {
    const billing = new Billing(context());
    const book = (over: Partial<InvocationRecord>) => {
      const billed = over.billedDurationMs ?? 10;
      const { gbSeconds, costUsd } = billing.cost(over.memorySizeMb ?? 128, billed);
      billing.record(record({ ...over, billedDurationMs: billed, gbSeconds, costUsd }));
    };
    book({ functionName: 'a', billedDurationMs: 1000, memorySizeMb: 1024 });
    book({ functionName: 'a', billedDurationMs: 500, memorySizeMb: 1024, trigger: 's3', startedAt: 5000 });
    book({ functionName: 'b', billedDurationMs: 2000, memorySizeMb: 512 });
    billing.record(record({ functionName: 'b', outcome: 'throttled' }));
    const all = billing.summary();
    expect(all.invocations).toBe(3);
    expect(all.billedMs).toBe(3500);
    expect(all.gbSeconds).toBeCloseTo(2.5, 12);
    expect(all.requestCostUsd).toBeCloseTo(3 * 2e-7, 15);
    expect(all.totalCostUsd).toBeCloseTo(2.5 * 0.0000166667 + 3 * 2e-7, 15);
    expect(all.byFunction.map((f) => [f.functionName, f.invocations])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    expect(billing.summary({ trigger: 's3' }).billedMs).toBe(500);
    expect(billing.summary({ since: 2000 }).invocations).toBe(1);
    expect(billing.summary({ functionName: 'b' }).gbSeconds).toBeCloseTo(1, 12);
  });

  it('books sync calls and async attempts in one ledger, counting an async attempt booked twice once', () => {
    const billing = new Billing(context());
    for (let i = 0; i < 150; i++) billing.record(record({ requestId: `r${i}`, billedDurationMs: i + 1 }));
    const event = { requestId: 'e1', invocationType: 'Event' as const, functionName: 'g' };
    billing.record(record({ ...event, billedDurationMs: 8 }));
    billing.record(record({ ...event, billedDurationMs: 8 })); // the same attempt again (a re-run after a crash)
    billing.record(record({ ...event, attempt: 2, billedDurationMs: 1 }));
    const summary = billing.summary();
    expect(summary.invocations).toBe(152);
    expect(summary.billedMs).toBe((150 * 151) / 2 + 9);
    expect(summary.byFunction.map((f) => [f.functionName, f.invocations])).toEqual([
      ['f', 150],
      ['g', 2],
    ]);
    expect(billing.summary({ functionName: 'g' }).billedMs).toBe(9);
  });
});
