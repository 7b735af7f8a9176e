import type { EngineContext } from '../shared/context.js';
import type { Db } from '../state/db.js';
import { migrate } from '../state/db.js';
import { RowInserter, whereClause } from './statements.js';
import type { InvocationRecord } from './types.js';
import { type WriteBatch, writeBatchOf } from './write-batch.js';

/** Which records `recent` returns (newest first). */
export interface RecordFilter {
  functionName?: string;
  trigger?: string;
  limit?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS invoke_records (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL,
  function_name TEXT NOT NULL,
  trigger TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS invoke_records_fn ON invoke_records (function_name, seq);`;
// The `record` column holds the fields that are not columns of their own as a JSON array, in the
// order of `pack` (errorType and errorMessage only when set): a third of the bytes of the record as a JSON
// object, and the bytes a batch commits are most of what it costs. Rows written before hold the
// whole record as an object.

/** Records kept; older ones are pruned (billing keeps its own ledger). */
const KEEP = 100_000;

/** Creates the records table on `db` (the engine's bookkeeping database, or a store's own). */
export function migrateRecords(db: Db): void {
  migrate(db, SCHEMA);
}

/** Writes batches of records (inside the write batch's transaction, on whichever thread runs it). */
export class RecordSink {
  #db: Db;
  #insert: RowInserter;
  #sincePrune = 0;

  constructor(db: Db) {
    this.#db = db;
    this.#insert = new RowInserter(
      db,
      'INSERT INTO invoke_records (request_id, function_name, trigger, started_at, record)',
      5,
    );
  }

  write(records: InvocationRecord[]): void {
    const values: Array<string | number> = [];
    for (const r of records) values.push(r.requestId, r.functionName, r.trigger, r.startedAt, pack(r));
    this.#insert.insert(values);
    this.#sincePrune += records.length;
    if (this.#sincePrune >= 1000) {
      this.#sincePrune = 0;
      this.#db.prepare('DELETE FROM invoke_records WHERE seq <= (SELECT MAX(seq) FROM invoke_records) - ?').run(KEEP);
    }
  }
}

/**
 * Stored invocation records, newest first, for logs, the dashboard and jobs. `add` buffers the record
 * for the invoke layer's write batch (one transaction every few ms); `recent` flushes first.
 */
export class RecordStore {
  #db: Db;
  #batch: WriteBatch;
  #pending: InvocationRecord[] = [];

  constructor(context: Pick<EngineContext, 'db' | 'log'>) {
    this.#db = context.db;
    this.#batch = writeBatchOf(context);
    if (!this.#batch.attached) migrateRecords(this.#db);
    this.#batch.register('records', {
      take: () => {
        if (this.#pending.length === 0) return undefined;
        const records = this.#pending;
        this.#pending = [];
        return records;
      },
      sink: (db) => new RecordSink(db),
    });
  }

  /** Buffers a record; it is written with the next batch. */
  add(record: InvocationRecord): void {
    this.#pending.push(record);
    this.#batch.schedule();
  }

  /** Stored records matching the filter, newest first (buffered ones included). */
  recent(filter: RecordFilter = {}): InvocationRecord[] {
    this.#batch.flush();
    const { clause, args } = whereClause([
      ['function_name = ?', filter.functionName],
      ['trigger = ?', filter.trigger],
    ]);
    const limit = Math.max(1, Math.min(filter.limit ?? 100, 10_000));
    const rows = this.#db
      .prepare(
        `SELECT request_id, function_name, trigger, started_at, record FROM invoke_records ${clause} ORDER BY seq DESC LIMIT ${limit}`,
      )
      .all(...args) as StoredRecord[];
    return rows.map(unpack);
  }
}

/** A row of invoke_records. */
interface StoredRecord {
  request_id: string;
  function_name: string;
  trigger: string;
  started_at: number;
  record: string;
}

/** The `record` column of a record (see SCHEMA). */
function pack(r: InvocationRecord): string {
  const values: unknown[] = [
    r.version,
    r.invocationType,
    r.durationMs,
    r.billedDurationMs,
    r.initDurationMs,
    r.memorySizeMb,
    r.maxMemoryUsedMb,
    r.outcome,
    r.gbSeconds,
    r.costUsd,
    r.attempt,
  ];
  if (r.errorType !== undefined || r.errorMessage !== undefined)
    values.push(r.errorType ?? null, r.errorMessage ?? null);
  return JSON.stringify(values);
}

/** The record a row holds, packed or (written before packing) whole. */
function unpack(row: StoredRecord): InvocationRecord {
  if (row.record.startsWith('{')) return JSON.parse(row.record) as InvocationRecord;
  const v = JSON.parse(row.record) as unknown[];
  const record = {
    requestId: row.request_id,
    functionName: row.function_name,
    version: v[0],
    trigger: row.trigger,
    invocationType: v[1],
    startedAt: row.started_at,
    durationMs: v[2],
    billedDurationMs: v[3],
    initDurationMs: v[4],
    memorySizeMb: v[5],
    maxMemoryUsedMb: v[6],
    outcome: v[7],
    gbSeconds: v[8],
    costUsd: v[9],
    attempt: v[10],
  } as InvocationRecord;
  if (typeof v[11] === 'string') record.errorType = v[11];
  if (typeof v[12] === 'string') record.errorMessage = v[12];
  return record;
}
