/**
 * How many environments start at once. A cold start that spawns a process (Node with NODE_OPTIONS, a
 * sandbox a blank cannot be handed, a custom runtime) costs tens to hundreds of milliseconds of CPU
 * loading its runtime and handler; past what the cores can absorb, more of them at a time only
 * thrash — every start slows down, init limits run out, memory fills. So starts take a slot, a few
 * per core (a start also waits on exec, mounts and the disk, and a burst of slow functions must
 * still scale out at once: ten calls of a function that sleeps get ten environments side by side),
 * and wait for one in arrival order across every function (FIFO: no function's burst can shut out
 * another's first call). A slot is held until the environment's init is done, or until its init
 * stops wanting CPU (holdWhileBusy): an init that waits on the network or a timer must not hold the
 * others back for its whole length, while one merely starved of CPU (by the burst, or by a loaded
 * machine) keeps its slot.
 *
 * A run waiting for a slot is not running yet, as on AWS, where Init and the invocation are timed
 * apart: its timeout starts after init, and init's own limit starts when its slot is granted. While
 * it waits, an environment of its own function that frees up is handed to it instead (a warm start).
 */
import { availableParallelism } from 'node:os';
import type { Environment } from './environment.js';

/** What a waiting start is granted: a slot (release it when init is done) or a free environment of its function. */
export type StartGrant = { release: () => void } | { environment: Environment } | { closed: true };

interface Waiting {
  key: string;
  grant: (grant: StartGrant) => void;
}

/** Starts in flight at most: four per core. */
export const START_SLOTS = 4 * Math.max(1, availableParallelism());
/** How often a starting environment's appetite for CPU is checked. */
const CHECK_MS = 250;
/** Below this share of a core (running or waiting to run) over CHECK_MS, an init is waiting on something else. */
const IDLE_SHARE = 0.25;

/** The start slots of one pool; see the module comment. */
export class StartSlots {
  #free: number;
  #waiting: Waiting[] = [];

  constructor(slots = START_SLOTS) {
    this.#free = slots;
  }

  /** Starts waiting for a slot now. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Waits for a slot (or an environment of `key`, see offer) in arrival order. */
  take(key: string): Promise<StartGrant> {
    if (this.#free > 0 && this.#waiting.length === 0) {
      this.#free -= 1;
      return Promise.resolve({ release: this.#releaser() });
    }
    return new Promise((grant) => this.#waiting.push({ key, grant }));
  }

  /** Hands `environment` to the first start of its function waiting for a slot; false when none waits. */
  offer(key: string, environment: Environment): boolean {
    const at = this.#waiting.findIndex((waiting) => waiting.key === key);
    if (at < 0) return false;
    const [waiting] = this.#waiting.splice(at, 1);
    waiting?.grant({ environment });
    return true;
  }

  /** Ends every wait (the pool is closing). */
  close(): void {
    for (const waiting of this.#waiting.splice(0)) waiting.grant({ closed: true });
  }

  /** A release function for one slot (idempotent). */
  #releaser(): () => void {
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const next = this.#waiting.shift();
      if (next) next.grant({ release: this.#releaser() });
      else this.#free += 1;
    };
  }
}

/**
 * Calls `release` once `environment`'s runtime spent less than IDLE_SHARE of a core running or
 * runnable over CHECK_MS (schedstat counts time waiting for a CPU too, so starvation is not idling).
 * Returns a function that stops watching.
 */
export function holdWhileBusy(environment: Environment, release: () => void): () => void {
  let last = environment.schedMs();
  const timer = setInterval(() => {
    const now = environment.schedMs();
    if (now !== undefined && last !== undefined && now - last < IDLE_SHARE * CHECK_MS) {
      clearInterval(timer);
      release();
    }
    last = now;
  }, CHECK_MS).unref();
  return () => clearInterval(timer);
}
