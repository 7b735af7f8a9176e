import { Topic } from '../shared/events.js';
import { newRequestId } from '../shared/ids.js';
import type { Logger } from '../shared/log.js';
import type { Db } from '../state/db.js';
import type { Attempts } from './attempts.js';
import type { ConcurrencyLimiter } from './concurrency.js';
import { DeadLetterStore } from './dead-letters.js';
import { type DeliverDeps, type Dispatch, deliver, route } from './deliver.js';
import { type Delivery, DeliveryQueue, type NewDelivery, type PayloadExpander } from './delivery-queue.js';
import type { DestinationSender, GiveUp } from './destinations.js';
import type { FunctionRegistry } from './registry.js';
import type { DeadLetter, FunctionVersion } from './types.js';

/** What the delivery pipeline needs. */
export interface DeliveriesOptions {
  db: Db;
  region: string;
  log: Logger;
  functions: FunctionRegistry;
  limiter: ConcurrencyLimiter;
  attempts: Attempts;
  /** First retry delay of a failed delivery (then doubled). */
  retryBaseMs: number;
  /** Senders of destinations that are not functions, by ARN service (e.g. `sqs`). */
  destinations?: Record<string, DestinationSender>;
  /** Runs of a function started but waiting in the runtime for one of its busy environments (none when omitted). */
  waitingRuns?: (functionName: string) => number;
}

/** An async invocation a producer queues. */
export interface AsyncInvocation {
  /** Name or ARN, optionally qualified. */
  functionName: string;
  qualifier?: string;
  /** The event, JSON text. */
  payload: string;
  /** What caused it: 'api', 's3', 'sns' … */
  trigger: string;
  clientContext?: string;
  /** The compact form `payload` is in, expanded into the event when it runs (see `addPayloadForm`). */
  payloadForm?: string;
}

/**
 * Most deliveries a pass starts for one target: a function as many as it has free slots up to this,
 * a destination ARN (a send, no slots) this many. Not the account's whole concurrency at once: a
 * held backlog of 10,000 released 1,000 at a time to a pool with no warm environment drained 2-3x
 * slower than 100 per pass (its waiters gave up after 50 ms and started environments of their own).
 */
const PAGE = 100;
/**
 * Most started invocations of one function left waiting in the runtime for a warm environment (a
 * fast function's runs queue there once its few hot environments are busy). A pass tops the wait up
 * to this only once it fell under half, so a backlog of thousands is not handed over at once: each
 * waiter held a concurrency slot, the payload in memory and a timer, a pass ran per finished
 * invocation to hand over one more, and when nothing finished for 50 ms every waiter gave up and
 * started an environment of its own.
 */
const RUNTIME_QUEUE = 100;
const RUNTIME_RECHECK_MS = 10;
const STOP_GRACE_MS = 3000;
/**
 * Least time between two dispatch passes. Each pass is a commit; under a backlog every finished
 * invocation wakes the pump, so without a gap a pass (and a commit) runs per invocation, on the
 * event loop that also acknowledges producers. A pass after an idle spell runs at once.
 */
const PASS_GAP_MS = 1;
/**
 * How long finished deliveries wait to be deleted together (one statement, in a pass's commit), or
 * how many: a crash within that window runs them again, which at-least-once delivery allows.
 */
const REMOVAL_HOLD_MS = 20;
const REMOVAL_BATCH = 500;

/**
 * The one durable delivery pipeline. Every producer (async invoke, object notifications, event
 * source mapping failures, destination records) queues here, inside its own transaction, before it
 * acknowledges anything; due deliveries go through `deliver` (retries, destinations, dead letters)
 * as capacity allows: woken on enqueue and on freed capacity, with a timer only for backoff.
 */
export class Deliveries {
  /** Every letter that lands in the dead-letter store. */
  readonly deadLetterAdded = new Topic<DeadLetter>();
  /** Async events that failed for good without a destination that took their record. */
  readonly letters: DeadLetterStore;
  #db: Db;
  #queue: DeliveryQueue;
  #senders = new Map<string, DestinationSender>();
  #giveUps = new Map<string, GiveUp>();
  #deps: DeliverDeps;
  #running = false;
  /** The next dispatch pass, the pump's one timer: when it runs (`performance.now()`) and its handle. */
  #next: { at: number; immediate?: NodeJS.Immediate; timeout?: NodeJS.Timeout } | undefined;
  #lastPassAt = 0;
  /** The target that last started a delivery: the next dispatch pass begins after it (see #takingTurns). */
  #lastServed: string | undefined;
  #inflight = new Map<string, Promise<void>>();
  #waitingRuns: (functionName: string) => number;
  /** Functions whose due invocations wait for capacity, with when the oldest of them expires. */
  #waiting = new Map<string, number>();

  constructor(options: DeliveriesOptions) {
    this.#db = options.db;
    this.#queue = new DeliveryQueue(options.db);
    this.#waitingRuns = options.waitingRuns ?? (() => 0);
    this.letters = new DeadLetterStore(options.db);
    for (const [service, sender] of Object.entries(options.destinations ?? {})) this.#senders.set(service, sender);
    this.#deps = {
      queue: this.#queue,
      functions: options.functions,
      limiter: options.limiter,
      attempts: options.attempts,
      letters: this.letters,
      senders: this.#senders,
      giveUps: this.#giveUps,
      region: options.region,
      log: options.log,
      retryBaseMs: options.retryBaseMs,
      running: () => this.#running,
      deadLetterAdded: this.deadLetterAdded,
    };
  }

  /**
   * Queues an async invocation; it is committed with the caller's transaction when there is one.
   * Returns its request id and the version it will run. Throws ResourceNotFoundException.
   */
  invoke(invocation: AsyncInvocation): { requestId: string; fn: FunctionVersion } {
    const fn = this.#deps.functions.route(invocation.functionName, invocation.qualifier);
    const delivery: NewDelivery = {
      id: newRequestId(),
      kind: 'invoke',
      target: fn.name,
      qualifier: fn.version,
      payload: invocation.payload,
      trigger: invocation.trigger,
      enqueuedAt: Date.now(),
    };
    if (invocation.clientContext !== undefined) delivery.clientContext = invocation.clientContext;
    if (invocation.payloadForm !== undefined) delivery.payloadForm = invocation.payloadForm;
    this.#queue.enqueue(delivery);
    this.wake();
    return { requestId: delivery.id, fn };
  }

  /**
   * Queues a record (e.g. an event source mapping's failure record) for a destination: a function
   * ARN gets an async invocation, a queue ARN a message. Committed with the caller's transaction when
   * there is one; a destination that does not exist is logged and skipped.
   */
  send(destination: string, record: Record<string, unknown>): void {
    route(destination, record, this.#deps);
    this.wake();
  }

  /**
   * Adds a destination type by the service its ARNs name (e.g. `sns` for topics). `giveUp`, when
   * given, is called in the transaction that drops a record the sender failed to take for good.
   */
  addDestinationType(service: string, sender: DestinationSender, giveUp?: GiveUp): void {
    this.#senders.set(service, sender);
    if (giveUp) this.#giveUps.set(service, giveUp);
  }

  /**
   * Adds a compact form async invocations may queue their payload in (`AsyncInvocation.payloadForm`):
   * `expand` turns it back into the event whenever the delivery is read. Register before `start`.
   */
  addPayloadForm(name: string, expand: PayloadExpander): void {
    this.#queue.addPayloadForm(name, expand);
  }

  /** Deliveries waiting (not running): all, those of one function, or those of one trigger. */
  depth(filter: { functionName?: string; trigger?: string } = {}): number {
    return filter.functionName === undefined
      ? this.#queue.depth(filter.trigger === undefined ? {} : { trigger: filter.trigger })
      : this.#queue.depth({ target: filter.functionName });
  }

  /** Resumes the queue: every delivery left in it (running or finished when a crash came) is due again. */
  start(): void {
    const recovered = this.#queue.recover();
    if (recovered > 0) this.#deps.log.info('resuming deliveries left running', { count: recovered });
    this.#running = true;
    this.wake();
  }

  /** Stops delivering; waits briefly for running attempts; unfinished deliveries stay queued. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#cancelPass();
    if (this.#inflight.size > 0) {
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#inflight.values()]),
        new Promise<void>((resolve) => {
          grace = setTimeout(resolve, STOP_GRACE_MS);
        }),
      ]);
      clearTimeout(grace);
    }
    let removed: Array<Pick<Delivery, 'id' | 'seq'>> = [];
    this.#db.transaction(() => {
      removed = this.#queue.removeFinished();
    })();
    this.#queue.unclaim(removed.map((d) => d.id));
    // Deliveries that finished during the grace woke the pump: no pass runs after stop.
    this.#cancelPass();
  }

  /** Capacity was freed (or a function's settings changed): invocations waiting for it may run or expire now. */
  onCapacity(): void {
    if (this.#waiting.size > 0) this.wake();
  }

  /**
   * Schedules a dispatch pass (coalesced, so it runs after the producer's commit): on the next turn
   * of the event loop, or once the gap since the last pass has passed.
   */
  wake(): void {
    this.#schedule(this.#lastPassAt + PASS_GAP_MS - performance.now());
  }

  /**
   * One dispatch pass, target by target: each function's due invocations start while it has free
   * concurrency; the rest stay pending, untouched, until a slot is released or the oldest expires.
   * Starting a delivery writes nothing; a pass writes (and commits) only when it deletes the
   * finished deliveries held since an earlier pass.
   */
  #pump(): void {
    if (!this.#running) return;
    const now = Date.now();
    /** When the next pass is due: after the gap when a target may have more due now, else at its next retry. */
    let nextAt = Number.POSITIVE_INFINITY;
    const waiting = new Map<string, number>();
    const removing = this.#removalDue();
    let removed: Array<Pick<Delivery, 'id' | 'seq'>> = [];
    try {
      this.#db.transaction(() => {
        if (removing) removed = this.#queue.removeFinished();
        for (const target of this.#takingTurns(this.#queue.targets())) {
          const page = this.#pageSize(target);
          // Enough of its runs wait in the runtime already. A finished one wakes the pump; the timer is for
          // runs that are not the pump's (sync invokes), whose ends do not.
          if (page === 'runtime busy') {
            nextAt = Math.min(nextAt, now + RUNTIME_RECHECK_MS);
            continue;
          }
          // Still without a free slot and its oldest not yet expired: nothing to read until either changes.
          const expiresAt = this.#waiting.get(target);
          if (page === 0 && expiresAt !== undefined && now < expiresAt) {
            waiting.set(target, expiresAt);
            continue;
          }
          const limit = Math.max(1, page);
          const due = this.#queue.dueFor(target, now, limit);
          if (due.length === 0) this.#queue.forgetIfEmpty(target);
          for (const delivery of due) {
            if (this.#inflight.has(delivery.id)) continue;
            const dispatch = this.#dispatch(delivery, now);
            if (dispatch && 'work' in dispatch) {
              this.#track(delivery.id, dispatch.work);
              this.#lastServed = target;
            }
            if (dispatch && 'waitingForCapacity' in dispatch) {
              waiting.set(target, dispatch.expiresAt);
              break;
            }
          }
          const at = waiting.has(target)
            ? (waiting.get(target) as number)
            : due.length === limit
              ? now // a full read: more may be due now
              : this.#queue.nextDueAfter(target, now);
          if (at !== undefined && at < nextAt) nextAt = at;
        }
      })();
    } catch (err) {
      // The pass rolled back: its removals with it, so they wait for the next commit again.
      for (const delivery of removed) this.#queue.removeLater(delivery);
      removed = [];
      this.#deps.log.error('could not read the delivery queue', { err });
    }
    this.#queue.unclaim(removed.map((d) => d.id));
    this.#waiting = waiting;
    this.#lastPassAt = performance.now();
    this.#scheduleAfterPass(nextAt);
  }

  /**
   * The next pass after this one: at the earliest of the end of the finished deliveries' hold and
   * `nextAt` (a target with more due now, a retry's backoff, the oldest waiting for capacity
   * expiring), never sooner than the gap. Passes woken in between (enqueue, freed capacity) come sooner.
   */
  #scheduleAfterPass(nextAt: number): void {
    if (!this.#running) return;
    const { since } = this.#queue.finished();
    if (since !== undefined) this.#schedule(since + REMOVAL_HOLD_MS - performance.now());
    // Not sooner than the gap: a due delivery that could not be dispatched must not spin the pump.
    if (nextAt !== Number.POSITIVE_INFINITY) this.#schedule(Math.max(nextAt - Date.now(), PASS_GAP_MS));
  }

  /** Makes the next pass run within `delayMs` (at once when 0 or less); an earlier one already scheduled stays. */
  #schedule(delayMs: number): void {
    if (!this.#running) return;
    const at = performance.now() + Math.max(0, delayMs);
    if (this.#next && this.#next.at <= at) return;
    this.#cancelPass();
    const run = () => {
      this.#next = undefined;
      this.#pump();
    };
    if (delayMs <= 0) {
      this.#next = { at, immediate: setImmediate(run) };
    } else {
      const timeout = setTimeout(run, delayMs);
      timeout.unref?.();
      this.#next = { at, timeout };
    }
  }

  #cancelPass(): void {
    clearImmediate(this.#next?.immediate);
    clearTimeout(this.#next?.timeout);
    this.#next = undefined;
  }

  /** Whether this pass deletes the finished deliveries held: enough of them, or the oldest held long enough. */
  #removalDue(): boolean {
    const { count, since } = this.#queue.finished();
    return count >= REMOVAL_BATCH || (since !== undefined && performance.now() - since >= REMOVAL_HOLD_MS);
  }

  /**
   * The targets in this pass's order: starting after the one that last started a delivery, so a
   * function that always has work queued cannot take every freed slot ahead of the others. (Rotating
   * on every pass is not enough: a freed slot is often followed by a pass that starts nothing, so the
   * passes that find a free slot can keep the same order.)
   */
  #takingTurns(targets: string[]): string[] {
    const last = this.#lastServed === undefined ? -1 : targets.indexOf(this.#lastServed);
    if (targets.length < 2 || last < 0) return targets;
    return [...targets.slice(last + 1), ...targets.slice(0, last + 1)];
  }

  #dispatch(delivery: Delivery, now: number): Dispatch | undefined {
    try {
      return deliver(delivery, this.#deps, now);
    } catch (err) {
      this.#deps.log.error('could not dispatch delivery', { id: delivery.id, err });
      return undefined;
    }
  }

  /**
   * How many due deliveries of a target a pass may start: as many as its function has free slots (0
   * when none), and no more than keeps RUNTIME_QUEUE of its runs waiting for an environment.
   */
  #pageSize(target: string): number | 'runtime busy' {
    // Invocations are queued under the function's name; other deliveries under an ARN (which has colons).
    if (target.includes(':')) return PAGE;
    const queued = this.#waitingRuns(target);
    if (queued >= RUNTIME_QUEUE / 2) return 'runtime busy';
    return Math.min(PAGE, RUNTIME_QUEUE - queued, Math.max(0, this.#deps.limiter.available(target)));
  }

  #track(id: string, work: Promise<void>): void {
    const tracked = work
      .catch((err: unknown) => this.#deps.log.error('delivery failed', { id, err }))
      .finally(() => {
        this.#inflight.delete(id);
        this.wake();
      });
    this.#inflight.set(id, tracked);
  }
}
