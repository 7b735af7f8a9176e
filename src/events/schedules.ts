import type { Invoker } from '../invoke/index.js';
import { ruleArn } from '../shared/arn.js';
import type { BackgroundService, EngineContext } from '../shared/context.js';
import { InvalidParameterValue, ResourceConflict, ResourceNotFound } from '../shared/errors.js';
import { migrate } from '../state/db.js';
import { parseScheduleExpression, type ScheduleExpression } from './cron.js';
import { scheduledEvent } from './event-shapes.js';

/** A schedule as listed. */
export interface Schedule {
  name: string;
  expression: string;
  functionName: string;
  /** JSON sent instead of the scheduled event, when set (EventBridge's constant input). */
  input?: string;
  arn: string;
  createdAt: number;
  /** Epoch ms of the next fire, undefined when it never fires again. */
  nextFire?: number;
  lastFire?: number;
}

/** What `add` takes. */
export interface ScheduleInput {
  name: string;
  expression: string;
  functionName: string;
  input?: string;
}

interface Row {
  name: string;
  expression: string;
  function_name: string;
  input: string | null;
  created_at: number;
  last_fire: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS schedules (
  name TEXT PRIMARY KEY,
  expression TEXT NOT NULL,
  function_name TEXT NOT NULL,
  input TEXT,
  created_at INTEGER NOT NULL,
  last_fire INTEGER
);
`;
const NAME = /^[\w.-]{1,64}$/;
/** Timers are capped so clock changes and long sleeps are re-checked. */
const MAX_TIMER_MS = 60_000;

/**
 * rate()/cron() schedules that invoke a function asynchronously with the EventBridge scheduled
 * event. Persisted; one unref'd timer per schedule, cleared on stop. As on AWS, fires missed
 * while the engine was stopped are not replayed: each schedule resumes at its next fire time.
 */
export class Schedules implements BackgroundService {
  #context: EngineContext;
  #invoker: Invoker;
  #timers = new Map<string, NodeJS.Timeout>();
  #parsed = new Map<string, ScheduleExpression>();
  #started = false;

  constructor(context: EngineContext, options: { invoker: Invoker }) {
    this.#context = context;
    this.#invoker = options.invoker;
    migrate(context.db, SCHEMA);
  }

  async start(): Promise<void> {
    this.#started = true;
    for (const row of this.#rows()) this.#arm(row);
  }

  async stop(): Promise<void> {
    this.#started = false;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  /**
   * Adds a schedule targeting a function.
   * @throws InvalidParameterValueException (name, expression or input), ResourceConflictException (name taken)
   */
  add(input: ScheduleInput): Schedule {
    if (!NAME.test(input.name)) throw new InvalidParameterValue(`Invalid schedule name: ${input.name}`);
    if (!input.functionName) throw new InvalidParameterValue('functionName is required');
    const createdAt = Date.now();
    parseScheduleExpression(input.expression, createdAt);
    if (input.input !== undefined) {
      try {
        JSON.parse(input.input);
      } catch (err) {
        throw new InvalidParameterValue('input must be JSON', { cause: err });
      }
    }
    const result = this.#context.db
      .prepare(
        'INSERT OR IGNORE INTO schedules (name, expression, function_name, input, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(input.name, input.expression, input.functionName, input.input ?? null, createdAt);
    if (result.changes === 0) throw new ResourceConflict(`Schedule ${input.name} already exists`);
    const row = this.#row(input.name) as Row;
    this.#arm(row);
    return this.#view(row);
  }

  /** Every schedule, by name. */
  list(): Schedule[] {
    return this.#rows().map((r) => this.#view(r));
  }

  /** One schedule. @throws ResourceNotFound */
  get(name: string): Schedule {
    const row = this.#row(name);
    if (!row) throw new ResourceNotFound(`Schedule not found: ${name}`);
    return this.#view(row);
  }

  /** Removes a schedule; it never fires again. @throws ResourceNotFound */
  remove(name: string): void {
    this.get(name);
    clearTimeout(this.#timers.get(name));
    this.#timers.delete(name);
    this.#parsed.delete(name);
    this.#context.db.prepare('DELETE FROM schedules WHERE name = ?').run(name);
  }

  #rows(): Row[] {
    return this.#context.db.prepare('SELECT * FROM schedules ORDER BY name').all() as Row[];
  }

  #row(name: string): Row | undefined {
    return this.#context.db.prepare('SELECT * FROM schedules WHERE name = ?').get(name) as Row | undefined;
  }

  #expression(row: Row): ScheduleExpression {
    let parsed = this.#parsed.get(row.name);
    if (!parsed) {
      parsed = parseScheduleExpression(row.expression, row.created_at);
      this.#parsed.set(row.name, parsed);
    }
    return parsed;
  }

  #view(row: Row): Schedule {
    return {
      name: row.name,
      expression: row.expression,
      functionName: row.function_name,
      ...(row.input !== null ? { input: row.input } : {}),
      arn: this.#ruleArn(row.name),
      createdAt: row.created_at,
      nextFire: this.#expression(row).next(Date.now()),
      ...(row.last_fire !== null ? { lastFire: row.last_fire } : {}),
    };
  }

  #ruleArn(name: string): string {
    return ruleArn(this.#context.region, name);
  }

  /** Sets the timer for the schedule's next fire after now (never for fires already missed). */
  #arm(row: Row, after = Date.now()): void {
    if (!this.#started) return;
    clearTimeout(this.#timers.get(row.name));
    const next = this.#expression(row).next(after);
    if (next === undefined) return;
    const delay = next - Date.now();
    const timer = setTimeout(
      () => {
        if (delay > MAX_TIMER_MS) this.#arm(row, after);
        else this.#fire(row.name, next);
      },
      Math.min(Math.max(0, delay), MAX_TIMER_MS),
    );
    timer.unref();
    this.#timers.set(row.name, timer);
  }

  #fire(name: string, time: number): void {
    const row = this.#row(name);
    if (!row || !this.#started) return;
    this.#context.db.prepare('UPDATE schedules SET last_fire = ? WHERE name = ?').run(time, name);
    const payload = row.input ?? JSON.stringify(scheduledEvent(this.#ruleArn(name), this.#context.region, time));
    this.#invoker
      .invoke({ functionName: row.function_name, payload, invocationType: 'Event', trigger: 'schedule' })
      .catch((err) => this.#context.log.error('scheduled invoke failed', { schedule: name, err }));
    this.#arm(row, time);
  }
}
