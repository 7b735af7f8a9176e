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
  /** Cold starts in flight (until their first run ends). */
  starting: number;
  /** Of those, the ones not through init yet (waiting for a start slot, or holding one: see start-slots.ts). */
  initializing: number;
  /** Moving average of warm run durations (ms); undefined until a warm run finished. */
  averageMs: number | undefined;
  /** Moving average of successful cold starts' Init Duration (ms); undefined until one finished. */
  initMs: number | undefined;
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
 * STARTING_CAP at a time, and its waiters wait for the first of those to be ready. A slower
 * function queues only while that is quicker than a start (worthWaiting). A waiter takes an idle
 * environment or starts a new one anyway when no run of that function finished for as long as one
 * of its starts takes (at least WAIT_MS), so long runs still scale out: concurrency limits (and
 * throttles) are the invoke layer's, never the pool's.
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
/** A waiter gives up after this long with no run of its function finished (or its start time, if longer). */
export const WAIT_MS = 50;
/**
 * But never waits longer than this with nothing finished, however long starts take: an init that
 * waits on the network, a run that sleeps, must not keep a burst from scaling out for long.
 */
export const MAX_PATIENCE_MS = 2000;

/** A function version with no environments yet. */
export function newDemand(): Demand {
  return {
    environments: 0,
    running: new Map(),
    starting: 0,
    initializing: 0,
    averageMs: undefined,
    initMs: undefined,
    finished: 0,
    waiters: [],
  };
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
  const window = longRunMs(demand);
  let long = 0;
  for (const since of demand.running.values()) if (now - since >= window) long += 1;
  return { recent: demand.running.size - long, long };
}

/** How long a run of the function has been running when it counts as a long one (see recentBusy). */
export function longRunMs(demand: Demand): number {
  return Math.max(WAIT_MS, 10 * (demand.averageMs ?? 0));
}

/**
 * For a function not measured as fast (no busy cap), whether a new run should queue for one of its
 * busy environments rather than start another: only when none is idle and the wait it can expect —
 * every run ahead of it plus its own, at the warm average, shared by the environments working (busy
 * on recent runs, or initializing) — is shorter than a cold start of this function takes. On AWS
 * every concurrent run gets an environment; on a few cores a function whose init costs many runs
 * (an SDK to load) gains nothing from a hundred of them starting at once: they share the same cores
 * and each start is CPU the runs do not get. Runs that last longer than a start still scale out.
 */
export function worthWaiting(demand: Demand, idle: number, now: number): boolean {
  const { averageMs, initMs } = demand;
  if (averageMs === undefined || initMs === undefined || idle > 0) return false;
  const working = recentBusy(demand, now).recent + demand.initializing;
  return working > 0 && (demand.waiters.length + 1) * averageMs < initMs * working;
}

/**
 * The other side of worthWaiting, checked as runs end: whether the queue has grown long enough that
 * its last waiter would wait longer than a cold start takes, so it should start an environment of
 * its own (`released` waiters were just let go for that). At most STARTING_CAP of a function's
 * environments initialize at a time; a function measured as fast keeps its busy cap instead.
 */
export function wantsAnotherStart(demand: Demand, now: number, released = 0): boolean {
  const { averageMs, initMs } = demand;
  if (averageMs === undefined || initMs === undefined || demand.waiters.length === 0) return false;
  if (busyCap(demand) !== Number.POSITIVE_INFINITY) return false;
  const initializing = demand.initializing + released;
  if (initializing >= STARTING_CAP) return false;
  const working = Math.max(1, recentBusy(demand, now).recent + initializing);
  return demand.waiters.length * averageMs >= initMs * working;
}

/**
 * Waits for an environment of `demand`'s function to be released to this run (already counted as
 * given to it); resolves undefined when the caller should take an idle one or start a new one after
 * all (no run finished for as long as a start takes, at least WAIT_MS, or one went away).
 */
export function waitForRelease(demand: Demand): Promise<Environment | undefined> {
  return new Promise((resolve) => {
    let seen = demand.finished;
    const created = performance.now();
    let since = created;
    let settled = false;
    const decide = () => {
      if (settled) return;
      const now = performance.now();
      if (demand.finished !== seen) {
        seen = demand.finished;
        since = now;
      } else if (demand.initMs === undefined && demand.initializing > 0 && now - created < MAX_PATIENCE_MS) {
        // A first burst: no start of this function measured yet, and some under way. Giving up now
        // would start one more beside them, each slowing the others down.
        since = now;
      }
      const left = since + patience() - now;
      if (left > 0) {
        timer = setTimeout(check, left);
        return;
      }
      settled = true;
      const at = demand.waiters.indexOf(waiter);
      if (at >= 0) demand.waiters.splice(at, 1);
      resolve(undefined);
    };
    // Timers run before I/O in a loop turn: after this process was stalled, results already in the
    // sockets are read first (setImmediate runs after the poll), so a stall alone is not "no progress".
    const check = () => setImmediate(decide);
    // Waiting with no run finished for longer than a start of this function takes gains nothing;
    // waiting less costs less than starting one.
    const patience = () => Math.min(MAX_PATIENCE_MS, Math.max(WAIT_MS, demand.initMs ?? 0));
    let timer = setTimeout(check, patience());
    const waiter: Waiter = (environment) => {
      settled = true;
      clearTimeout(timer);
      resolve(environment);
    };
    demand.waiters.push(waiter);
  });
}
