/**
 * How busy one function version is in the pool, and the rule for when a run of a fast function
 * waits for one of its warm environments instead of taking another (see WARM_CAP).
 */
import { availableParallelism } from 'node:os';
import type { Environment } from './environment.js';

/** Demand for one function version: how many environments it has, and who waits for one. */
export interface Demand {
  /** Live environments of this version, starting ones included. */
  environments: number;
  /**
   * Environments running an invocation of this version now (cold starts included), with when each
   * run started (performance.now()): only recent ones count toward the busy cap (see recentBusy).
   */
  running: Map<Environment, number>;
  /** Cold starts in flight. */
  starting: number;
  /** Moving average of warm run durations (ms); undefined until a warm run finished. */
  averageMs: number | undefined;
  /** Runs finished so far (a waiter that sees this move knows the queue is moving). */
  finished: number;
  waiters: Waiter[];
}

/** A run waiting for a warm environment; `undefined` means "start a new one after all". */
export type Waiter = (environment: Environment | undefined) => void;

const CORES = Math.max(1, availableParallelism());
/**
 * On a small machine many processes of one function thrash, so a function whose warm runs are
 * short (under FAST_MS) queues for a warm environment once WARM_CAP of them are busy — even when
 * it has more idle ones (left from a burst before it was measured): a few hot processes cost less
 * CPU per run than many cold ones. A burst of a function not yet measured starts at most
 * STARTING_CAP at a time. A waiter takes an idle environment or starts a new one anyway when no
 * run of that function finished for WAIT_MS, so long runs still scale out: concurrency limits
 * (and throttles) are the invoke layer's, never the pool's.
 */
const FAST_MS = 10;
const WARM_CAP = Math.max(2, 2 * CORES);
/**
 * Runs under TINY_MS are dominated by the round trip itself, and each extra process only adds
 * context switches: such a function keeps to HOT_CAP busy environments (one per core), which
 * measured ~40% less CPU per no-op run on 2 cores than four environments did.
 */
const TINY_MS = 1;
const HOT_CAP = Math.max(2, CORES);
/** A burst of a function not yet measured starts at most this many environments at a time. */
export const STARTING_CAP = Math.max(2, CORES);
/** A waiter gives up after this long with no run of its function finished. */
export const WAIT_MS = 50;

/** A function version with no environments yet. */
export function newDemand(): Demand {
  return { environments: 0, running: new Map(), starting: 0, averageMs: undefined, finished: 0, waiters: [] };
}

/** How many environments of a function may be busy before a run waits for one (unlimited unless fast). */
export function busyCap(demand: Demand): number {
  if (demand.averageMs === undefined || demand.averageMs >= FAST_MS) return Number.POSITIVE_INFINITY;
  return demand.averageMs < TINY_MS ? HOT_CAP : WARM_CAP;
}

/**
 * Splits a function's busy environments into runs that started recently — the hot set the cap
 * limits — and long ones (running past max(WAIT_MS, 10 × the warm average)), which say nothing
 * about when an environment frees up and must not make quick calls queue behind them.
 */
export function recentBusy(demand: Demand, now: number): { recent: number; long: number } {
  const window = Math.max(WAIT_MS, 10 * (demand.averageMs ?? 0));
  let long = 0;
  for (const since of demand.running.values()) if (now - since >= window) long += 1;
  return { recent: demand.running.size - long, long };
}
