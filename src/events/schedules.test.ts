import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type TestContext, testContext } from '../../test/helpers/engine-context.js';
import type { InvokeRequest, InvokeResult } from '../invoke/index.js';
import { Schedules } from './schedules.js';

describe('schedules', () => {
  let context: TestContext;
  let calls: InvokeRequest[];
  const invoker = {
    invoke: async (request: InvokeRequest) => {
      calls.push(request);
      return { statusCode: 202, requestId: 'r', executedVersion: '$LATEST', payload: Buffer.alloc(0) } as InvokeResult;
    },
  };

  beforeEach(() => {
    vi.useFakeTimers({ now: Date.parse('2026-11-24T18:59:30Z') });
    context = testContext('sched');
    calls = [];
  });

  afterEach(() => {
    vi.useRealTimers();
    context.dispose();
  });

  it('fires cron schedules with the EventBridge scheduled event, as async invokes', async () => {
    const schedules = new Schedules(context, { invoker });
    await schedules.start();
    const added = schedules.add({ name: 'quarter', expression: 'cron(0/15 * * * ? *)', functionName: 'f' });
    expect(new Date(added.nextFire as number).toISOString()).toBe('2026-11-24T19:00:00.000Z');
    await vi.advanceTimersByTimeAsync(31 * 60_000);
    expect(calls).toHaveLength(3); // 19:00, 19:15, 19:30
    expect(calls[0]).toMatchObject({ functionName: 'f', invocationType: 'Event', trigger: 'schedule' });
    expect(JSON.parse(String(calls[0]?.payload))).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      time: '2026-11-24T19:00:00Z',
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:000000000000:rule/quarter'],
      detail: {},
    });
    await schedules.stop();
  });

  it('sends constant input, stops firing when removed or stopped, and does not replay missed fires', async () => {
    const first = new Schedules(context, { invoker });
    await first.start();
    first.add({ name: 'tick', expression: 'rate(1 minute)', functionName: 'g', input: '{"k":1}' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls.map((c) => c.payload)).toEqual(['{"k":1}']);
    await first.stop();
    // Ten minutes pass while stopped: nothing fires, and nothing is replayed on start.
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(calls).toHaveLength(1);
    const second = new Schedules(context, { invoker });
    await second.start();
    expect(second.list().map((s) => s.name)).toEqual(['tick']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(2);
    second.remove('tick');
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(calls).toHaveLength(2);
    await second.stop();
  });

  it('rejects bad expressions and duplicate names', async () => {
    const schedules = new Schedules(context, { invoker });
    expect(() => schedules.add({ name: 'x', expression: 'cron(0 0 * * * *)', functionName: 'f' })).toThrow(
      expect.objectContaining({ code: 'InvalidParameterValueException' }),
    );
    schedules.add({ name: 'x', expression: 'rate(5 minutes)', functionName: 'f' });
    expect(() => schedules.add({ name: 'x', expression: 'rate(5 minutes)', functionName: 'f' })).toThrow(
      expect.objectContaining({ code: 'ResourceConflictException' }),
    );
  });
});
