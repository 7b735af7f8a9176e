import { describe, expect, it } from 'vitest';
import type { InvokeResult } from '../invoke/index.js';
import { type BatchOutcome, outcomeOf, processInOrder } from './batch.js';

interface Rec {
  seq: string;
  at: number;
}

const records = (n: number, at = 1000): Rec[] =>
  Array.from({ length: n }, (_, i) => ({ seq: String(i + 1).padStart(3, '0'), at }));

function lane(opts: {
  invoke(batch: Rec[]): BatchOutcome;
  batchSize?: number;
  retries?: number;
  maxAge?: number;
  bisect?: boolean;
  now?: number;
}) {
  const calls: string[][] = [];
  const discarded: { seqs: string[]; condition: string }[] = [];
  const done: string[] = [];
  const options = {
    batchSize: opts.batchSize ?? 10,
    maximumRetryAttempts: opts.retries ?? -1,
    maximumRecordAgeInSeconds: opts.maxAge ?? -1,
    bisectBatchOnFunctionError: opts.bisect ?? false,
    itemId: (r: Rec) => r.seq,
    arrival: (r: Rec) => r.at,
    now: () => opts.now ?? 1000,
    signal: new AbortController().signal,
    invoke: async (batch: Rec[]) => {
      calls.push(batch.map((r) => r.seq));
      return opts.invoke(batch);
    },
    discard: async (batch: Rec[], condition: string) => {
      discarded.push({ seqs: batch.map((r) => r.seq), condition });
    },
    done: (r: Rec) => done.push(r.seq),
  };
  return { calls, discarded, done, options };
}

describe('ordered batch processing', () => {
  it('bisects a failing batch down to the poison record, keeping order, and gives it up after its retries', async () => {
    const poison = '006';
    const t = lane({
      invoke: (b) => (b.some((r) => r.seq === poison) ? { kind: 'failed' } : { kind: 'success' }),
      retries: 1,
      bisect: true,
      batchSize: 8,
    });
    expect(await processInOrder(records(8), t.options)).toBe(true);
    expect(t.discarded).toEqual([{ seqs: [poison], condition: 'RetryAttemptsExhausted' }]);
    // Good records are delivered in order; only the poison record is given up on.
    const succeeded = t.calls.filter((c) => !c.includes(poison)).flat();
    expect(succeeded).toEqual(['001', '002', '003', '004', '005', '007', '008']);
    expect(t.done.at(-1)).toBe('008');
    // Checkpoints only ever move forward.
    expect([...t.done].sort()).toEqual(t.done);
  });

  it('retries from the lowest reported failure', async () => {
    let first = true;
    const t = lane({
      invoke: () => {
        if (first) {
          first = false;
          return { kind: 'partial', failedIds: ['007', '004'] };
        }
        return { kind: 'success' };
      },
    });
    await processInOrder(records(10), t.options);
    expect(t.calls).toEqual([records(10).map((r) => r.seq), ['004', '005', '006', '007', '008', '009', '010']]);
    expect(t.done).toEqual(['003', '010']);
  });

  it('discards expired records instead of retrying them forever', async () => {
    const t = lane({ invoke: () => ({ kind: 'failed' }), maxAge: 60, now: 1000 + 61_000 });
    await processInOrder(records(3), t.options);
    expect(t.calls).toEqual([]);
    expect(t.discarded).toEqual([{ seqs: ['001', '002', '003'], condition: 'RecordAgeExceeded' }]);
    expect(t.done).toEqual(['003']);
  });

  it('stops without finishing when aborted', async () => {
    const controller = new AbortController();
    const t = lane({ invoke: () => ({ kind: 'failed' }) });
    const running = processInOrder(records(2), { ...t.options, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await running).toBe(false);
    expect(t.done).toEqual([]);
  });

  it('reads batchItemFailures answers as AWS does', () => {
    const result = (payload: unknown, functionError?: 'Unhandled'): InvokeResult =>
      ({
        statusCode: 200,
        requestId: 'r',
        executedVersion: '$LATEST',
        payload: Buffer.from(JSON.stringify(payload)),
        functionError,
      }) as InvokeResult;
    expect(outcomeOf(result({ batchItemFailures: [] }), true)).toEqual({ kind: 'success' });
    expect(outcomeOf(result({ batchItemFailures: [{ itemIdentifier: 'a' }] }), true)).toEqual({
      kind: 'partial',
      failedIds: ['a'],
    });
    expect(outcomeOf(result({ batchItemFailures: [{ itemIdentifier: '' }] }), true).kind).toBe('failed');
    expect(outcomeOf(result({ batchItemFailures: [{ itemIdentifier: 'a' }] }), false)).toEqual({ kind: 'success' });
    expect(outcomeOf(result({}, 'Unhandled'), true).kind).toBe('failed');
  });
});
