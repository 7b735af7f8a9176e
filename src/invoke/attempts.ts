import type { Runtime } from '../runtime/index.js';
import type { EngineContext } from '../shared/context.js';
import { Topic } from '../shared/events.js';
import type { Logger } from '../shared/log.js';
import type { Billing } from './billing.js';
import { type Execution, type ExecutionRequest, execute } from './execution.js';
import type { LogStore } from './logs.js';
import { type RecordFilter, RecordStore } from './records.js';
import type { InvocationRecord } from './types.js';

/** What running attempts needs: the runtime, and where logs and bills go. */
export interface AttemptsOptions {
  runtime: Runtime;
  logs: LogStore;
  billing: Billing;
  log: Logger;
}

/**
 * Runs single attempts of invocations, whoever asked (a sync caller or the delivery queue), and
 * keeps their records: each is stored, billed and published on `records`.
 */
export class Attempts {
  /** Every finished invocation (and every throttled sync call). */
  readonly records = new Topic<InvocationRecord>();
  #options: AttemptsOptions;
  #store: RecordStore;

  constructor(context: Pick<EngineContext, 'db' | 'log'>, options: AttemptsOptions) {
    this.#options = options;
    this.#store = new RecordStore(context);
  }

  /** Runs one attempt (logs, record, billing); function failures are in the result, never thrown. */
  async run(request: ExecutionRequest): Promise<Execution> {
    const execution = await execute(this.#options, request);
    this.publish(execution.record);
    return execution;
  }

  /** Stores, bills and publishes a record (also for calls that never ran, e.g. throttled ones). */
  publish(record: InvocationRecord): void {
    // Both only buffer: the invoke layer's write batch stores them in one transaction per tick.
    this.#store.add(record);
    this.#options.billing.record(record);
    this.records.publish(record);
  }

  /** Stored records, newest first. */
  recent(filter: RecordFilter = {}): InvocationRecord[] {
    return this.#store.recent(filter);
  }

  /** Writes buffered log lines (the engine is stopping). */
  flush(): void {
    this.#options.logs.flush();
  }
}
