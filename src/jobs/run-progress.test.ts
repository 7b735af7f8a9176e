import { afterEach, describe, expect, it } from 'vitest';
import { type TestContext, testContext } from '../../test/helpers/engine-context.js';
import type { InvocationRecord } from '../invoke/index.js';
import { Topic } from '../shared/events.js';
import { AttemptSecrets } from './attempt-secrets.js';
import { JobStore } from './job-store.js';
import { type EventBody, type JobProgressReport, type RunDeps, RunProgress } from './run-progress.js';
import type { StageTask } from './scheduler.js';
import type { JobRecord } from './types.js';

let context: TestContext | undefined;
afterEach(() => context?.dispose());

/** A run over a real job store, with its events and a report topic the test posts to. */
function setup() {
  context = testContext('run-progress');
  const store = new JobStore(context.db);
  const record = store.create('j-1', { mapper: 'wordcount', input: { bucket: 'b' } }, Date.now());
  const events: EventBody[] = [];
  const reports = new Topic<JobProgressReport>();
  const secrets = new AttemptSecrets();
  const deps = {
    secrets,
    store,
    emit: (_r: JobRecord, body: EventBody) => events.push(body),
    takeLogLines: () => [],
    childRecord: () => undefined,
    reports,
  } as unknown as RunDeps;
  const progress = new RunProgress(record, deps);
  const hooks = progress.hooks('map', 'wordcount', () => []);
  const task: StageTask = { taskId: 'm0', bytes: 1000, splits: 1, payload: () => ({}) };
  const report = (attempt: number, bytes: number, keys = 0) =>
    reports.publish({ jobId: 'j-1', taskId: 'm0', attempt, bytes, words: bytes / 10, lines: bytes / 100, keys });
  return { record, events, hooks, task, report, progress, reports, secrets };
}

describe('RunProgress: provisional figures of running attempts', () => {
  it('gives each attempt its own secret and expires it when the attempt is retried, superseded or the run ends', () => {
    const { hooks, task, progress, secrets } = setup();
    const first = hooks.dispatched(task, 1, false);
    expect(secrets.matches('j-1', 'm0', 1, first)).toBe(true);
    hooks.retried(task, 1, 'boom');
    expect(secrets.matches('j-1', 'm0', 1, first)).toBe(false);
    const second = hooks.dispatched(task, 2, false);
    const backup = hooks.dispatched(task, 3, true);
    hooks.completed(task, 2, { taskId: 'm0', pieces: [], remaining: [] }, 10);
    expect(secrets.matches('j-1', 'm0', 2, second)).toBe(false);
    expect(secrets.matches('j-1', 'm0', 3, backup)).toBe(false);
    const other = hooks.dispatched({ ...task, taskId: 'm1' }, 1, false);
    expect(secrets.matches('j-1', 'm1', 1, other)).toBe(true);
    progress.close();
    expect(secrets.matches('j-1', 'm1', 1, other)).toBe(false);
  });

  it('drops a retried attempt, counts a task once while a backup runs, and hands over to the commit', () => {
    const { record, hooks, task, report } = setup();
    hooks.dispatched(task, 1, false);
    report(1, 400);
    expect(record.counters.running).toEqual({ bytes: 400, words: 40, lines: 4, keys: 0 });
    hooks.retried(task, 1, 'boom');
    expect(record.counters.running?.bytes).toBe(0);
    report(1, 500); // a late report of the failed attempt
    expect(record.counters.running?.bytes).toBe(0);
    hooks.dispatched(task, 2, false);
    hooks.dispatched(task, 3, true);
    report(2, 600);
    report(3, 200, 1);
    expect(record.counters.running).toEqual({ bytes: 600, words: 60, lines: 6, keys: 0 });
    hooks.completed(task, 2, { taskId: 'm0', pieces: [], remaining: [] }, 10);
    expect(record.counters.running?.bytes).toBe(0);
    expect(record.counters.tasksDispatched).toBe(1); // three attempts of one task
    report(3, 900); // the backup, still running, after the commit
    expect(record.counters.running?.bytes).toBe(0);
  });

  it('ignores reports of other jobs and of attempts never dispatched', () => {
    const { record, hooks, task, report, events } = setup();
    hooks.dispatched(task, 1, false);
    report(7, 300);
    expect(record.counters.running?.bytes).toBe(0);
    expect(events.some((e) => e.type === 'progress')).toBe(false);
  });

  it('publishes the reported objects as provisional results and a progress event; nothing after close', () => {
    const { events, hooks, task, progress, reports } = setup();
    hooks.dispatched(task, 1, false);
    const object = { key: 'a.txt', words: 5, lines: 2, bytes: 30 };
    reports.publish({
      jobId: 'j-1',
      taskId: 'm0',
      attempt: 1,
      bytes: 30,
      words: 5,
      lines: 2,
      keys: 1,
      objects: [object],
    });
    expect(events.filter((e) => e.type === 'object.result')).toEqual([
      { type: 'object.result', key: 'a.txt', counts: { words: 5, lines: 2, bytes: 30 }, provisional: true },
    ]);
    expect(events.filter((e) => e.type === 'progress')).toHaveLength(1);
    progress.close();
    reports.publish({ jobId: 'j-1', taskId: 'm0', attempt: 1, bytes: 90, words: 9, lines: 3, keys: 2 });
    expect(events.filter((e) => e.type === 'progress')).toHaveLength(1);
  });
});

describe('RunProgress: the cost of invocations that outlive the job', () => {
  const invocation = (requestId: string, billedDurationMs: number) =>
    ({
      requestId,
      functionName: 'cascade',
      billedDurationMs,
      gbSeconds: billedDurationMs / 1000,
      costUsd: 1e-6,
      outcome: 'success',
    }) as InvocationRecord;

  /** A run whose job has ended with one invocation still running (`release` ends it, billed `lateMs`). */
  function endedWithStraggler(lateMs: number) {
    context = testContext('run-progress-late');
    const store = new JobStore(context.db);
    const record = store.create('j-2', { mapper: 'wordcount', input: { bucket: 'b' } }, Date.now());
    const events: EventBody[] = [];
    const abort = new AbortController();
    const deps = {
      store,
      signal: abort.signal,
      emit: (_r: JobRecord, body: EventBody) => events.push(body),
      takeLogLines: () => [],
      log: { error: () => {} },
    } as unknown as RunDeps;
    const progress = new RunProgress(record, deps);
    const hooks = progress.hooks('map', 'wordcount', () => []);
    hooks.billed(invocation('won', 100));
    let release: () => void = () => {};
    const straggler = new Promise<void>((resolve) => {
      release = resolve;
    }).then(() => {
      if (abort.signal.aborted) return;
      hooks.billed(invocation('lost', lateMs));
      // The same request reported twice (its REPORT line and its record) is counted once.
      hooks.billed(invocation('lost', lateMs));
    });
    progress.inFlight.add(straggler);
    void straggler.finally(() => progress.inFlight.delete(straggler));
    record.status = 'succeeded';
    record.cost = progress.endCost();
    progress.close();
    return { store, record, events, progress, release, abort };
  }

  it('is pending at the end, then counted once when it ends, saved and announced', async () => {
    const { store, record, events, progress, release } = endedWithStraggler(900);
    expect(record.cost).toMatchObject({ invocations: 1, billedMs: 100, pending: 1 });
    const wallMs = record.cost?.wallMs;
    const settled = progress.settle();
    release();
    await settled;
    expect(record.cost).toMatchObject({ invocations: 2, billedMs: 1000, wallMs });
    expect(record.cost?.pending).toBeUndefined();
    expect(store.get('j-2')?.cost).toEqual(record.cost);
    expect(events.at(-1)).toEqual({ type: 'cost', cost: record.cost });
  });

  it('keeps what was billed when the engine stops first, the rest cut off', async () => {
    const { store, record, progress, release, abort } = endedWithStraggler(900);
    const settled = progress.settle();
    abort.abort();
    await settled;
    release();
    await new Promise((r) => setImmediate(r));
    expect(record.cost).toMatchObject({ invocations: 1, billedMs: 100, cutOff: 1 });
    expect(record.cost?.pending).toBeUndefined();
    expect(store.get('j-2')?.cost).toMatchObject({ invocations: 1, cutOff: 1 });
  });
});
