/**
 * Pipelined runs: a run of a fast function that would wait for one of its busy environments is
 * sent to one at once instead, up to PIPELINE_DEPTH behind the running one. The Node bootstrap
 * starts it right after it sent the running one's result, so the handler still runs one invocation
 * at a time (Lambda's contract), while the environment takes several frames per wake-up and serve
 * writes the next frame before the previous result is even read. The environment starts a queued
 * run's clock and timeout when the previous result arrives (environment.ts); a queued run that
 * never started (its environment died, timed out or was killed for memory first) is run again
 * elsewhere, neither failed nor billed.
 */
import { type Demand, longRunMs } from './demand.js';
import type { Environment } from './environment.js';

/**
 * Runs queued behind the running one in one environment, at most. Two let a process that wakes up
 * find the next frame already there, and answer two before it sleeps again; more only make a
 * queued run wait longer behind one that turns out slow.
 */
export const PIPELINE_DEPTH = 2;

/** Runs given to each busy environment and not yet ended, as the pool counts them. */
export class Assignments {
  #runs = new Map<Environment, number>();
  #depth: number;

  constructor(depth = PIPELINE_DEPTH) {
    this.#depth = depth;
  }

  /** Counts a run given to `environment`; true when it is its first (the environment was free). */
  add(environment: Environment): boolean {
    const runs = this.#runs.get(environment) ?? 0;
    this.#runs.set(environment, runs + 1);
    return runs === 0;
  }

  /** Counts one of `environment`'s runs as ended; answers how many it still has. */
  end(environment: Environment): number {
    const runs = (this.#runs.get(environment) ?? 1) - 1;
    if (runs > 0) this.#runs.set(environment, runs);
    else this.#runs.delete(environment);
    return runs;
  }

  /** Runs given to `environment` behind the one it runs now. */
  queued(environment: Environment): number {
    return Math.max(0, (this.#runs.get(environment) ?? 0) - 1);
  }

  /**
   * Whether one more run may queue in busy `environment` of `demand` now: a warm Node environment,
   * not retiring, holding no read grants (those are its running invocation's alone), below the
   * depth, and whose current run started recently (one running long says nothing about when it
   * frees up: a run queued behind it would wait that long).
   */
  takes(environment: Environment, demand: Demand, now: number, holdsGrants: boolean): boolean {
    if (this.#depth === 0 || environment.retiring || holdsGrants || !environment.takesQueued) return false;
    if (this.queued(environment) >= this.#depth) return false;
    const since = demand.running.get(environment);
    return since !== undefined && now - since < longRunMs(demand);
  }

  /** The busy environment of `demand` with the fewest queued runs that takes one more, if any. */
  target(demand: Demand, now: number, holdsGrants: (environment: Environment) => boolean): Environment | undefined {
    let best: Environment | undefined;
    for (const environment of demand.running.keys()) {
      if (!this.takes(environment, demand, now, holdsGrants(environment))) continue;
      if (best === undefined || this.queued(environment) < this.queued(best)) best = environment;
    }
    return best;
  }
}
