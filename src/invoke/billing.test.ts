import { afterEach, describe, expect, it } from 'vitest';
import { type TestContext, testContext } from '../../test/helpers/engine-context.js';
import { Billing } from './billing.js';
import type { InvocationRecord } from './types.js';

const HOUR = 3_600_000;
/** Half past an hour that began an hour ago: bookings now are kept one by one (not yet pruned). */
const NOW = (Math.floor(Date.now() / HOUR) - 1) * HOUR + HOUR / 2;
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
    startedAt: NOW,
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
    book({ functionName: 'a', billedDurationMs: 500, memorySizeMb: 1024, trigger: 's3', startedAt: NOW + 4000 });
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
    expect(billing.summary({ since: NOW + 1000 }).invocations).toBe(1);
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

  it('answers from hourly totals, exactly for a since inside a kept hour, and keeps totals of pruned rows', () => {
    const ctx = context();
    const billing = new Billing(ctx);
    const old = NOW - 3 * 24 * HOUR; // single bookings of this hour are pruned, its totals kept
    const at = [old, old + 60_000, NOW - 60_000, NOW, NOW + 1, NOW + HOUR];
    for (const [i, startedAt] of at.entries()) {
      billing.record(record({ requestId: `r${i}`, startedAt, billedDurationMs: 2 ** i }));
    }
    billing.record(record({ requestId: 'e', invocationType: 'Event', startedAt: old, billedDurationMs: 64 }));
    expect(billing.summary().billedMs).toBe(127);
    // Exact within a kept hour: from NOW on, and from one millisecond later.
    expect(billing.summary({ since: NOW }).billedMs).toBe(8 + 16 + 32);
    expect(billing.summary({ since: NOW + 1 }).billedMs).toBe(16 + 32);
    expect(billing.summary({ since: NOW + 2 }).billedMs).toBe(32);
    // A new engine on the same database prunes the old hour's single rows; its totals stay.
    const reopened = new Billing(ctx);
    const single = ctx.db.prepare('SELECT COUNT(*) AS n FROM invoke_billing_sync').get() as { n: number };
    expect(single.n).toBe(4);
    expect(reopened.summary().billedMs).toBe(127);
    expect(reopened.summary().invocations).toBe(7);
    // A since inside the pruned hour counts that hour whole.
    expect(reopened.summary({ since: old + 30_000 }).billedMs).toBe(127);
    expect(reopened.summary({ since: old + HOUR }).billedMs).toBe(4 + 8 + 16 + 32);
  });

  it('prunes a large backlog of old single bookings a step per batch, counting them throughout', () => {
    const ctx = context();
    const billing = new Billing(ctx);
    const old = NOW - 3 * 24 * HOUR;
    for (let i = 0; i < 2500; i++) billing.record(record({ requestId: `o${i}`, startedAt: old + i }));
    billing.summary();
    const singles = () => (ctx.db.prepare('SELECT COUNT(*) AS n FROM invoke_billing_sync').get() as { n: number }).n;
    const reopened = new Billing(ctx); // its first step deletes 2,000
    expect(singles()).toBe(500);
    expect(reopened.summary({ since: old + 2400 })).toMatchObject({ invocations: 2500, billedMs: 25_000 });
    reopened.record(record({ requestId: 'new' }));
    expect(reopened.summary().invocations).toBe(2501);
    expect(singles()).toBe(1);
  });

  it('moves an async attempt booked again in a later batch, counting it once', () => {
    const billing = new Billing(context());
    const attempt = { requestId: 'e2', invocationType: 'Event' as const, functionName: 'g' };
    billing.record(record({ ...attempt, billedDurationMs: 5 }));
    expect(billing.summary().billedMs).toBe(5);
    billing.record(record({ ...attempt, billedDurationMs: 7, startedAt: NOW + HOUR }));
    expect(billing.summary()).toMatchObject({ invocations: 1, billedMs: 7 });
    expect(billing.summary({ since: NOW + HOUR }).billedMs).toBe(7);
  });

  it('fills the hourly totals from the rows of a database made before them', () => {
    const ctx = context();
    const billing = new Billing(ctx);
    for (let i = 0; i < 3; i++) billing.record(record({ requestId: `s${i}`, billedDurationMs: 10 }));
    billing.summary();
    // The database of an earlier version: the same rows, no totals.
    ctx.db.exec('DROP TABLE invoke_billing_hours');
    expect(new Billing(ctx).summary()).toMatchObject({ invocations: 3, billedMs: 30 });
  });
});
