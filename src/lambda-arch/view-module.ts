/**
 * The view-module format: what a built-in or user view exports, and the pure rules every layer
 * applies to it the same way (event time, buckets, keys). This module runs both in the engine
 * (speed layer, serving merge) and bundled into the batch job's functions, so it imports nothing
 * from the engine.
 */
import { isoTimeMs } from './iso-time.js';
import { KeyTable } from './key-table.js';
import { type Monoid, monoidByName } from './monoids.js';

/** Event-time bucket widths. */
export const GRANULARITIES = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type Granularity = keyof typeof GRANULARITIES;

/** What a view module exports (a user module exports these names; `monoid` may be a name or a Monoid). */
export interface ViewModule {
  name: string;
  granularity: Granularity;
  monoid: Monoid | string;
  /** The key or keys an event counts under; nothing (null, undefined, []) skips the event. */
  key(event: Record<string, unknown>): string | string[] | null | undefined;
  /** The value lifted into the monoid (default: the event itself, which count ignores). */
  value?(event: Record<string, unknown>): unknown;
  /**
   * The top-level fields `key` and `value` read, when they read no others: the batch mapper then
   * hands them an event holding only these (and the time field) instead of parsing whole lines.
   */
  fields?: readonly string[];
  /**
   * The keys `key` gives, in order, handed to `sink` as slices `text[start, end)` instead of
   * strings, so a fold finds an existing key without building a string for it. Optional; when
   * present it must give exactly `key`'s keys and not throw (the built-in word view has one).
   */
  keysInto?(event: Record<string, unknown>, sink: KeySink): void;
  /**
   * `keysInto` for the batch mapper reading bytes: the keys of an event whose one declared field
   * holds the text bytes[start, end) (ASCII, as a JSON string without escapes holds it), handed to
   * `sink` as ASCII bytes. Optional; used only for a view with exactly one declared field (not its
   * time field), no `value`, and the built-in `count` monoid (named); it must give exactly `key`'s
   * keys and not throw.
   */
  keysFromBytes?(bytes: Uint8Array, start: number, end: number, sink: ByteKeySink): void;
  /**
   * `'words'` when `keysFromBytes` gives the built-in word view's words (builtin-views.ts), so the
   * batch mapper may count them with its WebAssembly kernel (line-kernel-code.ts) instead.
   */
  keysKernel?: 'words';
}

/** Takes an event's keys as slices of a text. */
export interface KeySink {
  add(text: string, start: number, end: number): void;
}

/** Takes an event's keys as ASCII bytes[start, end) (valid during the call only). */
export interface ByteKeySink {
  addBytes(bytes: Uint8Array, start: number, end: number): void;
}

/** What the engine knows of every view: its buckets and its (built-in) monoid, not its code. */
export interface ViewShape {
  name: string;
  granularity: Granularity;
  width: number;
  monoid: Monoid;
}

/** A view module resolved for use: its monoid an object, its bucket width in ms. */
export interface ResolvedView extends ViewShape {
  key: ViewModule['key'];
  value: NonNullable<ViewModule['value']>;
  fields?: readonly string[];
  keysInto?: ViewModule['keysInto'];
  /** Present only where the batch mapper may use it (see ViewModule.keysFromBytes). */
  keysFromBytes?: ViewModule['keysFromBytes'];
  /** Present only with keysFromBytes. */
  keysKernel?: 'words';
}

/** The field events carry their time in unless a dataset names another. */
export const DEFAULT_TIME_FIELD = 'created_at';

/**
 * Checks a module's exports and resolves its monoid.
 * @throws TypeError naming the bad or missing export
 */
export function resolveView(module: Partial<ViewModule>): ResolvedView {
  if (typeof module.name !== 'string' || module.name === '') throw new TypeError('a view module must export a name');
  if (!module.granularity || !(module.granularity in GRANULARITIES))
    throw new TypeError(`view ${module.name}: granularity must be one of ${Object.keys(GRANULARITIES).join(', ')}`);
  if (typeof module.key !== 'function') throw new TypeError(`view ${module.name}: key(event) must be a function`);
  if (module.value !== undefined && typeof module.value !== 'function')
    throw new TypeError(`view ${module.name}: value(event) must be a function`);
  if (module.keysInto !== undefined && typeof module.keysInto !== 'function')
    throw new TypeError(`view ${module.name}: keysInto(event, sink) must be a function`);
  if (module.keysFromBytes !== undefined && typeof module.keysFromBytes !== 'function')
    throw new TypeError(`view ${module.name}: keysFromBytes(bytes, start, end, sink) must be a function`);
  if (
    module.fields !== undefined &&
    !(Array.isArray(module.fields) && module.fields.every((f) => typeof f === 'string'))
  )
    throw new TypeError(`view ${module.name}: fields must be an array of field names`);
  const monoid = typeof module.monoid === 'string' ? monoidByName(module.monoid) : module.monoid;
  if (!monoid || typeof monoid.merge !== 'function' || typeof monoid.lift !== 'function')
    throw new TypeError(`view ${module.name}: monoid must be a built-in monoid name or a monoid object`);
  return {
    name: module.name,
    granularity: module.granularity,
    width: GRANULARITIES[module.granularity],
    monoid,
    key: module.key,
    value: module.value ?? ((event) => event),
    ...(module.fields ? { fields: module.fields } : {}),
    ...(module.keysInto ? { keysInto: module.keysInto } : {}),
    ...(module.keysFromBytes && module.fields?.length === 1 && !module.value && module.monoid === 'count'
      ? {
          keysFromBytes: module.keysFromBytes,
          ...(module.keysKernel === 'words' ? { keysKernel: 'words' as const } : {}),
        }
      : {}),
  };
}

/** The largest epoch ms a Date holds (±100,000,000 days): later times cannot name a partition. */
const MAX_TIME_MS = 8.64e15;

/**
 * An event's time in epoch ms from `field` (ISO-8601 text or epoch ms), or undefined when it has none
 * (or one no date can hold).
 */
export function eventTime(event: Record<string, unknown>, field: string): number | undefined {
  const raw = event[field];
  const ms = typeof raw === 'number' ? raw : typeof raw === 'string' ? (isoTimeMs(raw) ?? Date.parse(raw)) : Number.NaN;
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS ? ms : undefined;
}

/** The start of the bucket holding `time`. */
export function bucketOf(time: number, width: number): number {
  return Math.floor(time / width) * width;
}

/** What one event contributes to a view: a lifted state under each of its keys. @throws what the module throws */
export function contributions(view: ResolvedView, event: Record<string, unknown>): Array<[string, unknown]> {
  const keys = view.key(event);
  if (keys === null || keys === undefined) return [];
  const list = Array.isArray(keys) ? keys : [keys];
  if (list.length === 0) return [];
  const state = view.monoid.lift(view.value(event));
  return list.map((k) => [String(k), state]);
}

/** An event with its time, as a view folds it. */
export interface TimedEvent {
  event: Record<string, unknown>;
  time: number;
}

/**
 * What a batch of events contributes to a view, pre-aggregated: one `[key, bucket, state]` per
 * distinct (key, bucket), and the events its code threw on (skipped).
 */
export interface ViewFold {
  tuples: Array<[string, number, unknown]>;
  errors: number;
  last?: string;
}

/**
 * Per-(bucket, key) states of a view, folded with its monoid as events come: buckets, then keys,
 * in maps (no composite key built per contribution). A view with `keysInto` folds into one flat
 * KeyTable per bucket instead (one probe per key, no string per key already seen). What the speed
 * fold and the batch mapper share.
 */
export class ViewAccumulator {
  readonly #view: ResolvedView;
  readonly #buckets = new Map<number, Map<string, { state: unknown }>>();
  readonly #tables = new Map<number, KeyTable>();
  readonly #sink: TableSink;
  readonly #byteSink: ByteTableSink | undefined;

  constructor(view: ResolvedView) {
    this.#view = view;
    this.#sink = new TableSink(view);
    this.#byteSink = view.keysFromBytes ? new ByteTableSink(view) : undefined;
  }

  /** Folds one event at `time` in. @throws what the view's key or value code throws */
  add(event: Record<string, unknown>, time: number): void {
    const view = this.#view;
    if (view.keysInto) {
      this.#sink.fold(event, this.#table(bucketOf(time, view.width)), view.keysInto);
      return;
    }
    const keys = view.key(event);
    if (keys === null || keys === undefined) return;
    const list = Array.isArray(keys) ? keys : [keys];
    if (list.length === 0) return;
    const state = view.monoid.lift(view.value(event));
    const bucket = bucketOf(time, view.width);
    let states = this.#buckets.get(bucket);
    if (!states) {
      states = new Map();
      this.#buckets.set(bucket, states);
    }
    for (const raw of list) {
      const key = String(raw);
      const entry = states.get(key);
      if (entry) entry.state = view.monoid.merge(entry.state, state);
      else states.set(key, { state });
    }
  }

  /**
   * Folds in one event at `time` whose declared field holds the ASCII text bytes[start, end), through
   * the view's `keysFromBytes` (only for a view that has it), into the same tables `add` uses.
   */
  addBytes(bytes: Uint8Array, start: number, end: number, time: number): void {
    const keysFromBytes = this.#view.keysFromBytes;
    const sink = this.#byteSink;
    if (!keysFromBytes || !sink) throw new TypeError(`view ${this.#view.name} reads no keys from bytes`);
    sink.table = this.#table(bucketOf(time, this.#view.width));
    keysFromBytes(bytes, start, end, sink);
  }

  /**
   * Merges `count` events into the state of the key given as ASCII bytes[start, end) at `bucket` (a
   * bucket's start), for a view with `keysFromBytes` (its monoid is count): what a kernel that
   * counted them itself hands on.
   */
  addKeyCount(bytes: Uint8Array, start: number, end: number, bucket: number, count: number): void {
    const sink = this.#byteSink;
    if (!sink) throw new TypeError(`view ${this.#view.name} reads no keys from bytes`);
    this.#table(bucket).addBytes(bytes, start, end, count, sink.merge);
  }

  /** One `[key, bucket, state]` per distinct (key, bucket). */
  *tuples(): Generator<[string, number, unknown]> {
    for (const [bucket, states] of this.#buckets) for (const [key, { state }] of states) yield [key, bucket, state];
    for (const [bucket, table] of this.#tables) for (const [key, state] of table.entries()) yield [key, bucket, state];
  }

  #table(bucket: number): KeyTable {
    let table = this.#tables.get(bucket);
    if (!table) {
      table = new KeyTable();
      this.#tables.set(bucket, table);
    }
    return table;
  }
}

/**
 * Folds one event's keys, as `keysInto` hands them, into a bucket's table: the event's state is
 * lifted at its first key (an event without keys lifts nothing, as with `key`).
 */
class TableSink implements KeySink {
  readonly #view: ResolvedView;
  readonly #merge: (a: unknown, b: unknown) => unknown;
  #event: Record<string, unknown> = {};
  #table: KeyTable | undefined;
  #state: unknown;
  #lifted = false;

  constructor(view: ResolvedView) {
    this.#view = view;
    this.#merge = view.monoid.merge;
  }

  fold(event: Record<string, unknown>, table: KeyTable, keysInto: NonNullable<ResolvedView['keysInto']>): void {
    this.#event = event;
    this.#table = table;
    this.#lifted = false;
    keysInto(event, this);
  }

  add(text: string, start: number, end: number): void {
    if (!this.#lifted) {
      this.#state = this.#view.monoid.lift(this.#view.value(this.#event));
      this.#lifted = true;
    }
    (this.#table as KeyTable).add(text, start, end, this.#state, this.#merge);
  }
}

/** Folds keys handed as bytes into a bucket's table, each with the count monoid's lifted state. */
class ByteTableSink implements ByteKeySink {
  table: KeyTable = new KeyTable();
  readonly merge: (a: unknown, b: unknown) => unknown;
  readonly #state: unknown;

  constructor(view: ResolvedView) {
    this.#state = view.monoid.lift(undefined);
    this.merge = view.monoid.merge;
  }

  addBytes(bytes: Uint8Array, start: number, end: number): void {
    this.table.addBytes(bytes, start, end, this.#state, this.merge);
  }
}

/** Folds events into per-(key, bucket) states with the view's code and monoid. */
export function foldEvents(view: ResolvedView, events: TimedEvent[]): ViewFold {
  const folded = new ViewAccumulator(view);
  let errors = 0;
  let last: string | undefined;
  for (const { event, time } of events) {
    try {
      folded.add(event, time);
    } catch (err) {
      errors++;
      last = `${(err as Error)?.message ?? err}`;
    }
  }
  return { tuples: [...folded.tuples()], errors, ...(last !== undefined ? { last } : {}) };
}
