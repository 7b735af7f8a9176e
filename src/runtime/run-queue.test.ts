import { describe, expect, it } from 'vitest';
import { monotonicMs } from './protocol.js';
import { type CatchUp, RunQueue } from './run-queue.js';
import type { RunRequest, RunResult } from './types.js';

const request = (requestId: string) => ({ requestId }) as RunRequest;

/** A queued run's outcome as the caller sees it: pending, or settled (undefined: taken back). */
function track(queue: RunQueue, id: string, patienceMs: number) {
  const state: { settled: boolean; result: RunResult | undefined; at: number } = {
    settled: false,
    result: undefined,
    at: 0,
  };
  const startBy = queue.add(
    request(id),
    (result) => {
      state.settled = true;
      state.result = result;
      state.at = monotonicMs();
    },
    patienceMs,
  );
  return { state, startBy };
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RunQueue', () => {
  it('takes a run back once its start-by time passed and the socket was read to its end, not before', async () => {
    let catchUps = 0;
    const queue = new RunQueue((then) => {
      catchUps += 1;
      setImmediate(() => then(true));
    });
    const { state, startBy } = track(queue, 'a', 30);
    await wait(10);
    expect(state.settled).toBe(false);
    await wait(60);
    expect(state).toMatchObject({ settled: true, result: undefined });
    expect(state.at).toBeGreaterThanOrEqual(startBy);
    expect(catchUps).toBe(1);
    expect(queue.length).toBe(0);
  });

  it('never takes back a run the bootstrap started (its predecessor answered) before the socket was caught up', async () => {
    let caughtUp: ((whole: boolean) => void) | undefined;
    const queue = new RunQueue((then) => {
      caughtUp = then;
    });
    const { state } = track(queue, 'a', 10);
    await wait(30);
    // The start-by time passed, but reading the socket turned up the result ahead: 'a' started.
    expect(queue.next()?.request.requestId).toBe('a');
    caughtUp?.(true);
    await wait(10);
    expect(state.settled).toBe(false);
  });

  it('waits for a frame half read at the start-by time before deciding', async () => {
    const answers = [false, false, true];
    let asked = 0;
    const catchUp: CatchUp = (then) => {
      const whole = answers[Math.min(asked, answers.length - 1)];
      asked += 1;
      setImmediate(() => then(whole));
    };
    const queue = new RunQueue(catchUp);
    const { state } = track(queue, 'a', 5);
    await wait(50);
    expect(asked).toBe(3);
    expect(state).toMatchObject({ settled: true, result: undefined });
  });

  it('decides each run once: given back by the bootstrap, its timer takes nothing back later', async () => {
    let catchUps = 0;
    const queue = new RunQueue((then) => {
      catchUps += 1;
      then(true);
    });
    const a = track(queue, 'a', 10);
    const b = track(queue, 'b', 10);
    queue.givenBack('a');
    expect(a.state).toMatchObject({ settled: true, result: undefined });
    await wait(40);
    expect(catchUps).toBe(1); // b's alone
    expect(b.state).toMatchObject({ settled: true, result: undefined });
    expect(queue.length).toBe(0);
  });
});
