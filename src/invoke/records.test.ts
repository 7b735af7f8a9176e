import { afterEach, describe, expect, it } from 'vitest';
import { type TestContext, testContext } from '../../test/helpers/engine-context.js';
import { RecordStore } from './records.js';
import type { InvocationRecord } from './types.js';

const contexts: TestContext[] = [];
function context(): TestContext {
  const ctx = testContext('records');
  contexts.push(ctx);
  return ctx;
}

afterEach(() => {
  for (const ctx of contexts.splice(0)) ctx.dispose();
});

const ok: InvocationRecord = {
  requestId: 'r-1',
  functionName: 'f',
  version: '3',
  trigger: 's3',
  invocationType: 'Event',
  startedAt: 1_700_000_000_123,
  durationMs: 12.345678901,
  billedDurationMs: 13,
  initDurationMs: 87.5,
  memorySizeMb: 256,
  maxMemoryUsedMb: 71,
  outcome: 'success',
  gbSeconds: 0.00325,
  costUsd: 5.6e-8,
  attempt: 2,
};
const failed: InvocationRecord = {
  ...ok,
  requestId: 'r-2',
  functionName: 'g',
  trigger: 'api',
  invocationType: 'RequestResponse',
  initDurationMs: null,
  outcome: 'handled',
  errorType: 'TypeError',
  errorMessage: 'x is not a function',
  attempt: 1,
};

describe('RecordStore', () => {
  it('gives back every field of the records it stored, newest first, filtered by function and trigger', () => {
    const records = new RecordStore(context());
    records.add(ok);
    records.add(failed);
    expect(records.recent()).toEqual([failed, ok]);
    expect(records.recent({ functionName: 'f' })).toEqual([ok]);
    expect(records.recent({ trigger: 'api' })).toEqual([failed]);
    expect(records.recent({ limit: 1 })).toEqual([failed]);
  });

  it('reads records stored whole, as rows written before records were packed hold them', () => {
    const ctx = context();
    const first = new RecordStore(ctx);
    ctx.db
      .prepare(
        'INSERT INTO invoke_records (request_id, function_name, trigger, started_at, record) VALUES (?, ?, ?, ?, ?)',
      )
      .run(failed.requestId, failed.functionName, failed.trigger, failed.startedAt, JSON.stringify(failed));
    first.add(ok);
    expect(first.recent()).toEqual([ok, failed]);
  });
});
