import { TooManyRequests } from '../shared/errors.js';

/** A granted slot; call `release` exactly once when the invocation ends. */
export interface Slot {
  release(): void;
}

export interface ConcurrencyOptions {
  /** Account-wide concurrent executions. */
  limit: number;
  /** Reserved concurrency of a function, or null when it shares the unreserved pool. */
  reservedOf(functionName: string): number | null;
  /** Sum of all reservations (subtracted from the unreserved pool). */
  reservedTotal(): number;
  /** Called after a slot is released (capacity freed). */
  onRelease?: () => void;
}

/**
 * Counts concurrent executions as Lambda does: a function with reserved concurrency uses only its
 * reservation; all other functions share what the account limit leaves after every reservation.
 */
export class ConcurrencyLimiter {
  readonly limit: number;
  #options: ConcurrencyOptions;
  #byFunction = new Map<string, number>();
  #unreservedInUse = 0;
  #inUse = 0;

  constructor(options: ConcurrencyOptions) {
    this.limit = options.limit;
    this.#options = options;
  }

  /** Takes a slot for one execution. Throws TooManyRequestsException with the AWS reason when none is free. */
  acquire(functionName: string): Slot {
    const slot = this.tryAcquire(functionName);
    if (slot) return slot;
    throw this.#options.reservedOf(functionName) !== null
      ? new TooManyRequests('Rate Exceeded.', 'ReservedFunctionConcurrentInvocationLimitExceeded')
      : new TooManyRequests('Rate Exceeded.', 'ConcurrentInvocationLimitExceeded');
  }

  /**
   * Takes a slot when one is free, else undefined: for the async queue, which waits for capacity
   * without building an error per waiting event.
   */
  tryAcquire(functionName: string): Slot | undefined {
    if (this.available(functionName) <= 0) return undefined;
    const reserved = this.#options.reservedOf(functionName);
    const current = this.#byFunction.get(functionName) ?? 0;
    const shared = reserved === null;
    this.#byFunction.set(functionName, current + 1);
    this.#inUse += 1;
    if (shared) this.#unreservedInUse += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.#byFunction.get(functionName) ?? 1) - 1;
        if (left > 0) this.#byFunction.set(functionName, left);
        else this.#byFunction.delete(functionName);
        this.#inUse -= 1;
        if (shared) this.#unreservedInUse -= 1;
        this.#options.onRelease?.();
      },
    };
  }

  /** How many more executions of a function may start now. */
  available(functionName: string): number {
    const reserved = this.#options.reservedOf(functionName);
    if (reserved !== null) return reserved - (this.#byFunction.get(functionName) ?? 0);
    return this.limit - this.#options.reservedTotal() - this.#unreservedInUse;
  }

  /** Executions in flight, in total and per function. */
  snapshot(): { inUse: number; limit: number; byFunction: Record<string, number> } {
    return { inUse: this.#inUse, limit: this.limit, byFunction: Object.fromEntries(this.#byFunction) };
  }
}
