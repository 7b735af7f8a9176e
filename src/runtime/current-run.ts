/**
 * The invocation an environment runs now, and the RunResult it ends with when it does not answer
 * for itself: a timeout, going over its memory, or the process ending under it.
 */
import type { Header, ResultMessage } from './protocol.js';
import { exitError, outOfMemory, timedOut } from './run-errors.js';
import type { FunctionErrorShape, RunOutcome, RunResult, RuntimeFunction } from './types.js';

/** The running invocation: its caller, its clock (performance.now()) and its timeout. */
export interface CurrentRun {
  resolve: (result: RunResult) => void;
  requestId: string;
  onLog: ((line: string) => void) | undefined;
  started: number;
  initMs: number | null;
  cold: boolean;
  timer: NodeJS.Timeout | undefined;
  /** The uncaught error the bootstrap reported before its process ended. */
  fatal?: FunctionErrorShape;
  /** A queued run: hands it back to run elsewhere, should the bootstrap report it never started. */
  giveBack?: () => void;
  /** Started by the bootstrap after the engine had decided to end the environment (for the run ahead). */
  doomed?: boolean;
}

/** Why the engine killed an environment: its running invocation's timeout or memory, or reaping. */
export type KillReason = 'timeout' | 'oom' | 'reap';

/** The result `run` answered with (`message`, its payload beside the header). */
export function answeredResult(
  run: CurrentRun,
  message: Header<ResultMessage> & { p?: Buffer },
  maxMemoryUsedMb: number,
): RunResult {
  return {
    outcome: message.e ? (message.k ?? 'handled') : 'success',
    payload: message.p,
    error: message.e,
    durationMs: message.ms,
    initDurationMs: run.initMs,
    maxMemoryUsedMb,
    coldStart: run.cold,
  };
}

/** The result of `run` ended by the engine with `outcome`, its Duration the time it ran. */
export function endedResult(
  run: CurrentRun,
  fn: RuntimeFunction,
  outcome: RunOutcome,
  error: FunctionErrorShape,
  maxMemoryUsedMb: number,
): RunResult {
  const elapsed = performance.now() - run.started;
  return {
    outcome,
    error,
    durationMs: outcome === 'timeout' ? Math.max(elapsed, fn.timeoutS * 1000) : elapsed,
    initDurationMs: run.initMs,
    maxMemoryUsedMb,
    coldStart: run.cold,
  };
}

/**
 * The result of `run` whose process ended under it: killed for its timeout or memory (`reason`),
 * out of heap, or exited (with the fatal error it reported, if any). A doomed run was killed for the
 * run ahead of it: it reports the exit.
 */
export function goneResult(
  run: CurrentRun,
  fn: RuntimeFunction,
  reason: KillReason | undefined,
  heapOom: boolean,
  code: number | null,
  signal: NodeJS.Signals | null,
): RunResult {
  if (run.doomed) return endedResult(run, fn, 'unhandled', exitError(run.requestId, code, signal), 0);
  if (reason === 'timeout') return endedResult(run, fn, 'timeout', timedOut(fn.timeoutS), 0);
  if (reason === 'oom' || heapOom) return endedResult(run, fn, 'oom', outOfMemory(run.requestId), fn.memoryMb);
  return endedResult(run, fn, 'unhandled', run.fatal ?? exitError(run.requestId, code, signal), 0);
}
