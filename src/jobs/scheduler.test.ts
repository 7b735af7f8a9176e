import { describe, expect, it } from 'vitest';
import type { InvokeRequest, InvokeResult, Invoker } from '../invoke/index.js';
import { TooManyRequests } from '../shared/errors.js';
import type { CascadeEvent, CascadeResult } from './protocol.js';
import { runStage, type StageHooks, type StageTask } from './scheduler.js';

type Behaviour = (taskId: string, attempt: number) => Promise<{ ok: boolean; result?: unknown }>;

/** An invoker standing in for the cascade: runs each task through `behaviour`. */
function fakeCascade(behaviour: Behaviour, throttleFirst = 0): Invoker & { calls: number } {
  const fake = {
    calls: 0,
    async invoke(request: InvokeRequest): Promise<InvokeResult> {
      fake.calls++;
      if (fake.calls <= throttleFirst) throw new TooManyRequests('Rate exceeded');
      const event = JSON.parse(String(request.payload)) as CascadeEvent;
      const outcomes = await Promise.all(
        event.tasks.map(async (t) => {
          const { attempt } = t.payload as { attempt: number };
          const r = await behaviour(t.taskId, attempt);
          return {
            taskId: t.taskId,
            ok: r.ok,
            result: r.result,
            durationMs: 1,
            ...(r.ok ? {} : { error: { errorType: 'Error', errorMessage: 'boom' } }),
          };
        }),
      );
      const body: CascadeResult = { outcomes };
      return {
        statusCode: 200,
        requestId: 'r',
        executedVersion: '$LATEST',
        payload: Buffer.from(JSON.stringify(body)),
      };
    },
  };
  return fake;
}

function tasks(n: number): StageTask[] {
  return Array.from({ length: n }, (_, i) => ({
    taskId: `t${i}`,
    bytes: 1,
    splits: 1,
    payload: (attempt: number) => ({ attempt }),
  }));
}

function recorder() {
  const committed = new Map<string, number>();
  const retried: string[] = [];
  const backups: string[] = [];
  const hooks: StageHooks = {
    dispatched: (task, _attempt, backup) => {
      if (backup) backups.push(task.taskId);
      return '';
    },
    completed: (task, attempt) => {
      if (committed.has(task.taskId)) return null;
      committed.set(task.taskId, attempt);
      return [];
    },
    retried: (task) => retried.push(task.taskId),
    billed: () => {},
    childRecord: () => undefined,
  };
  return { committed, retried, backups, hooks };
}

const options = (n: number, maxAttempts = 3) => ({
  jobId: 'j',
  functionName: 'mapper',
  cascadeName: 'cascade',
  fanout: 2,
  maxCascades: 2,
  maxAttempts,
  tasks: tasks(n),
  signal: new AbortController().signal,
});

describe('runStage', () => {
  it('retries failed attempts within the budget and commits each task once', async () => {
    const invoker = fakeCascade(async (_id, attempt) => ({ ok: attempt >= 3, result: {} }));
    const r = recorder();
    await runStage(invoker, options(5), r.hooks);
    expect([...r.committed.values()]).toEqual([3, 3, 3, 3, 3]);
    expect(r.retried).toHaveLength(10);
  });

  it('fails the stage when a task exhausts its attempts', async () => {
    const invoker = fakeCascade(async (id) => ({ ok: id !== 't1', result: {} }));
    await expect(runStage(invoker, options(3, 2), recorder().hooks)).rejects.toMatchObject({ code: 'TaskFailed' });
  });

  it('does not spend attempts on throttles', async () => {
    const invoker = fakeCascade(async () => ({ ok: true, result: {} }), 4);
    const r = recorder();
    await runStage(invoker, options(2, 1), r.hooks);
    expect([...r.committed.values()]).toEqual([1, 1]);
    expect(invoker.calls).toBeGreaterThan(4);
  });

  it('launches a backup for a straggler and the first commit wins', async () => {
    let release: () => void = () => {};
    const hung = new Promise<void>((resolve) => {
      release = resolve;
    });
    const invoker = fakeCascade(async (id, attempt) => {
      if (id === 't0' && attempt === 1) await hung;
      return { ok: true, result: {} };
    });
    const r = recorder();
    const opts = { ...options(4), fanout: 1, maxCascades: 3 };
    await runStage(invoker, opts, r.hooks);
    expect(r.backups).toEqual(['t0']);
    expect(r.committed.get('t0')).toBe(2);
    release();
  });
});
