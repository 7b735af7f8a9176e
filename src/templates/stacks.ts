/**
 * Stacks on the server: applying a resolved plan through the engine's own services, and the stack
 * record (name → what it created) that lets a redeploy change what changed and delete what the
 * template no longer holds. Data resources (buckets, queues, streams, tables, topics) are never
 * deleted: one dropped from the template is kept with its data and forgotten by the stack.
 */
import type { EventSourceMappings, FunctionUrlConfigs, ObjectNotifications, Schedules } from '../events/index.js';
import type { FunctionRegistry } from '../invoke/index.js';
import type { EngineContext } from '../shared/context.js';
import { ResourceNotFound } from '../shared/errors.js';
import type { ObjectStore } from '../storage/objects/index.js';
import type { QueueStore } from '../storage/queues/index.js';
import type { StreamStore } from '../storage/streams/index.js';
import type { TableStore } from '../storage/tables/index.js';
import type { TopicStore } from '../storage/topics/index.js';
import { applyEvents } from './apply-events.js';
import { applyDataResources, applyFunctions } from './apply-resources.js';
import { checkPlan } from './check-plan.js';
import { emptyPlan, type StackChange, type StackPlan, type StackRecord, type StackResult } from './plan.js';

/** The services a stack is applied through. */
export interface StacksOptions {
  functions: FunctionRegistry;
  objects: ObjectStore;
  queues: QueueStore;
  streams: StreamStore;
  tables: TableStore;
  topics: TopicStore;
  notifications: ObjectNotifications;
  mappings: EventSourceMappings;
  schedules: Schedules;
  functionUrls: FunctionUrlConfigs;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS stacks (
  name TEXT PRIMARY KEY,
  record TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
`;

/** Deploys of templates: one plan applied at a time, each stack's record kept in SQLite. */
export class Stacks {
  #context: EngineContext;
  #services: StacksOptions;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(context: EngineContext, services: StacksOptions) {
    this.#context = context;
    this.#services = services;
    context.db.exec(SCHEMA);
  }

  /** Every stack's record, by name. */
  list(): StackRecord[] {
    const rows = this.#context.db.prepare('SELECT record FROM stacks ORDER BY name').all() as Array<{ record: string }>;
    return rows.map((row) => JSON.parse(row.record) as StackRecord);
  }

  /** One stack's record. @throws ResourceNotFound */
  get(name: string): StackRecord {
    const record = this.#find(name);
    if (!record) throw new ResourceNotFound(`Stack ${name} does not exist`);
    return record;
  }

  /**
   * Creates or updates the stack a plan describes: data resources first, then functions, then
   * their events; what the stack's record holds and the plan does not is deleted (data kept).
   * Applies one plan at a time. @throws InvalidParameterValue for a malformed plan, and what the services throw
   */
  apply(plan: StackPlan): Promise<StackResult> {
    checkPlan(plan);
    return this.#serial(() => this.#apply(plan));
  }

  /** Deletes a stack's functions and their events and forgets it; its data resources are kept. @throws ResourceNotFound */
  delete(name: string): Promise<StackResult> {
    const record = this.get(name);
    return this.#serial(async () => {
      const result = await this.#apply(emptyPlan(name, record.kind));
      this.#context.db.prepare('DELETE FROM stacks WHERE name = ?').run(name);
      return result;
    });
  }

  async #apply(plan: StackPlan): Promise<StackResult> {
    const previous = this.#find(plan.stack) ?? emptyRecord(plan);
    const changes: StackChange[] = [];
    applyDataResources(plan, previous, this.#services, changes);
    await applyFunctions(plan, this.#services, changes);
    const events = await applyEvents(plan, previous, this.#services, this.#context.endpoint(), changes);
    // Functions go last, once nothing points at them any more.
    for (const name of previous.functions.filter((n) => !plan.functions.some((f) => f.name === n))) {
      if (!this.#services.functions.has(name)) continue;
      this.#services.functions.delete(name);
      changes.push({ action: 'deleted', type: 'function', name });
    }
    const record: StackRecord = {
      name: plan.stack,
      kind: plan.kind,
      updatedAt: Date.now(),
      functions: plan.functions.map((f) => f.name),
      buckets: plan.buckets.map((b) => b.name),
      queues: plan.queues.map((q) => q.name),
      streams: plan.streams.map((s) => s.name),
      tables: plan.tables.map((t) => t.name),
      topics: plan.topics.map((t) => t.name),
      ...events.record,
    };
    this.#context.db
      .prepare(
        'INSERT INTO stacks (name, record, updated_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at',
      )
      .run(record.name, JSON.stringify(record), record.updatedAt);
    return { stack: plan.stack, changes, urls: events.urls, warnings: plan.warnings };
  }

  #find(name: string): StackRecord | undefined {
    const row = this.#context.db.prepare('SELECT record FROM stacks WHERE name = ?').get(name) as
      | { record: string }
      | undefined;
    return row ? (JSON.parse(row.record) as StackRecord) : undefined;
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(work, work);
    this.#queue = next.catch(() => undefined);
    return next;
  }
}

function emptyRecord(plan: StackPlan): StackRecord {
  return {
    name: plan.stack,
    kind: plan.kind,
    updatedAt: 0,
    functions: [],
    buckets: [],
    queues: [],
    streams: [],
    tables: [],
    topics: [],
    notifications: {},
    mappings: [],
    schedules: [],
    subscriptions: [],
    urls: [],
  };
}
