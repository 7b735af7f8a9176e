/**
 * Durable job state in SQLite: job records, the event log (for replay to late subscribers and
 * after restarts) and the task manifest, where the first committed attempt of a task wins.
 */
import type { Statement } from 'better-sqlite3';
import { type Db, migrate } from '../state/index.js';
import type {
  CostReport,
  JobCounters,
  JobEvent,
  JobRecord,
  JobResult,
  JobSpec,
  JobStatus,
  PipelineStageRecord,
  PlanParams,
} from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  spec TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  finished_at INTEGER,
  counters TEXT NOT NULL,
  result TEXT,
  cost TEXT,
  error TEXT,
  stages TEXT NOT NULL DEFAULT '[]',
  plan TEXT,
  pipeline TEXT,
  parent_id TEXT
);
CREATE TABLE IF NOT EXISTS job_events (
  job_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  event TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
);
CREATE TABLE IF NOT EXISTS job_manifest (
  job_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  stage TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  result TEXT NOT NULL,
  committed_at INTEGER NOT NULL,
  PRIMARY KEY (job_id, task_id)
);
`;

/** A committed task output. */
export interface ManifestEntry {
  taskId: string;
  stage: string;
  attempt: number;
  result: unknown;
}

interface JobRow {
  id: string;
  status: JobStatus;
  spec: string;
  created_at: number;
  finished_at: number | null;
  counters: string;
  result: string | null;
  cost: string | null;
  error: string | null;
  stages: string;
  plan?: string | null;
  pipeline?: string | null;
}

/** Empty counters for a new job. */
export function zeroCounters(): JobCounters {
  return {
    keysDone: 0,
    keysTotal: null,
    bytesTotal: null,
    tasksDispatched: 0,
    tasksDone: 0,
    tasksRetried: 0,
    words: 0,
    lines: 0,
    bytes: 0,
    invocations: 0,
    billedMs: 0,
    costUsd: 0,
  };
}

/** Job records, events and manifest over the engine database. */
export class JobStore {
  #db: Db;
  #insertEvent: Statement | undefined;
  #appendEvents: ((events: readonly JobEvent[]) => void) | undefined;

  constructor(db: Db) {
    this.#db = db;
    migrate(db, SCHEMA);
    // Databases made before plans and pipelines were recorded lack these columns.
    const columns = db.prepare('PRAGMA table_info(jobs)').all() as Array<{ name: string }>;
    for (const column of ['plan', 'pipeline', 'parent_id']) {
      if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE jobs ADD COLUMN ${column} TEXT`);
    }
  }

  /** Records a new running job; `parentId` makes it one run of a pipeline stage (not listed on its own). */
  create(id: string, spec: JobSpec, now: number, parentId: string | null = null): JobRecord {
    const record: JobRecord = {
      id,
      status: 'running',
      spec,
      createdAt: now,
      finishedAt: null,
      counters: zeroCounters(),
      result: null,
      cost: null,
      error: null,
      stages: [],
      plan: null,
    };
    if (spec.stages) record.pipeline = [];
    this.#db
      .prepare('INSERT INTO jobs (id, status, spec, created_at, counters, parent_id) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, record.status, JSON.stringify(spec), now, JSON.stringify(record.counters), parentId);
    return record;
  }

  get(id: string): JobRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row && fromRow(row);
  }

  /** Newest first; runs of pipeline stages are part of their pipeline, not listed. */
  list(limit = 100): JobRecord[] {
    const rows = this.#db
      .prepare('SELECT * FROM jobs WHERE parent_id IS NULL ORDER BY created_at DESC, id DESC LIMIT ?')
      .all(limit) as JobRow[];
    return rows.map(fromRow);
  }

  /**
   * Ids of jobs recorded as running, oldest first (at startup: jobs the engine was running when it
   * stopped); a running pipeline stage's run is left to its pipeline.
   */
  running(): string[] {
    const rows = this.#db
      .prepare("SELECT id FROM jobs WHERE status = 'running' AND parent_id IS NULL ORDER BY created_at, id")
      .all() as Array<{ id: string }>;
    return rows.map((r) => r.id);
  }

  update(record: JobRecord): void {
    this.#db
      .prepare(
        'UPDATE jobs SET status = ?, finished_at = ?, counters = ?, result = ?, cost = ?, error = ?, stages = ?, plan = ?, pipeline = ? WHERE id = ?',
      )
      .run(
        record.status,
        record.finishedAt,
        JSON.stringify(record.counters),
        json(record.result),
        json(record.cost),
        json(record.error),
        JSON.stringify(record.stages),
        json(record.plan),
        json(record.pipeline),
        record.id,
      );
  }

  appendEvent(event: JobEvent): void {
    this.appendEvents([event]);
  }

  /**
   * Appends events in one transaction: a job's commit can emit thousands at once (an event per
   * finished object), and one commit each cost the engine ~0.1 ms of CPU per event.
   */
  appendEvents(events: readonly JobEvent[]): void {
    this.#appendEvents ??= this.#db.transaction((batch: readonly JobEvent[]) => {
      this.#insertEvent ??= this.#db.prepare('INSERT OR REPLACE INTO job_events (job_id, seq, event) VALUES (?, ?, ?)');
      const insert = this.#insertEvent;
      for (const event of batch) insert.run(event.jobId, event.seq, JSON.stringify(event));
    });
    this.#appendEvents(events);
  }

  events(jobId: string, afterSeq = 0): JobEvent[] {
    const rows = this.#db
      .prepare('SELECT event FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq')
      .all(jobId, afterSeq) as Array<{ event: string }>;
    return rows.map((r) => JSON.parse(r.event) as JobEvent);
  }

  lastSeq(jobId: string): number {
    const row = this.#db.prepare('SELECT MAX(seq) AS seq FROM job_events WHERE job_id = ?').get(jobId) as {
      seq: number | null;
    };
    return row.seq ?? 0;
  }

  /** Commits a task's output unless one is already committed; true when this one won. */
  commit(jobId: string, entry: ManifestEntry): boolean {
    const info = this.#db
      .prepare(
        'INSERT OR IGNORE INTO job_manifest (job_id, task_id, stage, attempt, result, committed_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(jobId, entry.taskId, entry.stage, entry.attempt, JSON.stringify(entry.result), Date.now());
    return info.changes === 1;
  }

  /** Every committed task of a stage, in commit order. */
  committed(jobId: string, stage: string): ManifestEntry[] {
    const rows = this.#db
      .prepare('SELECT task_id, stage, attempt, result FROM job_manifest WHERE job_id = ? AND stage = ? ORDER BY rowid')
      .all(jobId, stage) as Array<{ task_id: string; stage: string; attempt: number; result: string }>;
    return rows.map((r) => ({ taskId: r.task_id, stage: r.stage, attempt: r.attempt, result: JSON.parse(r.result) }));
  }
}

function fromRow(row: JobRow): JobRecord {
  return {
    id: row.id,
    status: row.status,
    spec: JSON.parse(row.spec) as JobSpec,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    counters: JSON.parse(row.counters) as JobCounters,
    result: row.result ? (JSON.parse(row.result) as JobResult) : null,
    cost: row.cost ? (JSON.parse(row.cost) as CostReport) : null,
    error: row.error ? (JSON.parse(row.error) as JobRecord['error']) : null,
    stages: JSON.parse(row.stages) as JobRecord['stages'],
    plan: row.plan ? (JSON.parse(row.plan) as PlanParams) : null,
    ...(row.pipeline ? { pipeline: JSON.parse(row.pipeline) as PipelineStageRecord[] } : {}),
  };
}

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
