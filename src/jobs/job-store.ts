/**
 * Durable job state in SQLite: job records, the event log (for replay to late subscribers and
 * after restarts) and the task manifest, where the first committed attempt of a task wins. Each
 * record carries its kind (what retention groups runs by) and when its intermediates were swept.
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

/** A finished run as retention sees it. */
export interface FinishedRun {
  id: string;
  kind: string;
  finishedAt: number;
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
    for (const column of ['plan', 'pipeline', 'parent_id', 'kind']) {
      if (!columns.some((c) => c.name === column)) db.exec(`ALTER TABLE jobs ADD COLUMN ${column} TEXT`);
    }
    if (!columns.some((c) => c.name === 'swept_at')) db.exec('ALTER TABLE jobs ADD COLUMN swept_at INTEGER');
    db.exec(`CREATE INDEX IF NOT EXISTS jobs_parent ON jobs (parent_id);
      CREATE INDEX IF NOT EXISTS jobs_unswept ON jobs (status, swept_at)`);
    // Runs recorded before kinds were: their kind is read from their spec, once.
    const unkinded = db.prepare('SELECT id, spec FROM jobs WHERE kind IS NULL').all() as Array<{
      id: string;
      spec: string;
    }>;
    if (unkinded.length > 0) {
      const set = db.prepare('UPDATE jobs SET kind = ? WHERE id = ?');
      db.transaction(() => {
        for (const row of unkinded) set.run(legacyKindOf(JSON.parse(row.spec) as JobSpec), row.id);
      })();
    }
  }

  /**
   * Records a new running job of `kind` (what retention groups runs by); `parentId` makes it one run of a
   * pipeline stage (not listed on its own, kept and deleted with its pipeline).
   */
  create(
    id: string,
    spec: JobSpec,
    now: number,
    parentId: string | null = null,
    kind = defaultKindOf(spec),
  ): JobRecord {
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
      .prepare(
        'INSERT INTO jobs (id, status, spec, created_at, counters, parent_id, kind) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, record.status, JSON.stringify(spec), now, JSON.stringify(record.counters), parentId, kind);
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

  /** Saves a record; a record set running again has intermediates again (its sweep is undone). */
  update(record: JobRecord): void {
    this.#db
      .prepare(
        "UPDATE jobs SET status = ?, swept_at = CASE WHEN ? = 'running' THEN NULL ELSE swept_at END, finished_at = ?, counters = ?, result = ?, cost = ?, error = ?, stages = ?, plan = ?, pipeline = ? WHERE id = ?",
      )
      .run(
        record.status,
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

  /** The runs of a pipeline's stages (every run of every stage), oldest first. */
  runsOf(parentId: string): JobRecord[] {
    const rows = this.#db
      .prepare('SELECT * FROM jobs WHERE parent_id = ? ORDER BY created_at, id')
      .all(parentId) as JobRow[];
    return rows.map(fromRow);
  }

  /** Finished jobs and pipelines (not their stage runs), newest first within each kind. */
  finished(): FinishedRun[] {
    return this.#db
      .prepare(
        "SELECT id, kind, COALESCE(finished_at, created_at) AS finishedAt FROM jobs WHERE parent_id IS NULL AND status != 'running' ORDER BY kind, finishedAt DESC, created_at DESC, id DESC",
      )
      .all() as FinishedRun[];
  }

  /** Finished records (stage runs included) whose intermediates were not swept yet, oldest first. */
  unswept(): JobRecord[] {
    const rows = this.#db
      .prepare("SELECT * FROM jobs WHERE status != 'running' AND swept_at IS NULL ORDER BY created_at, id")
      .all() as JobRow[];
    return rows.map(fromRow);
  }

  /**
   * Records whose cost report still waits for invocations: finished runs (stage runs and pipelines
   * included), and pipelines (running or not) with such a stage.
   */
  pendingCosts(): JobRecord[] {
    const rows = this.#db
      .prepare(
        `SELECT * FROM jobs WHERE (status != 'running' AND json_extract(cost, '$.pending') > 0)
           OR EXISTS (SELECT 1 FROM json_each(jobs.pipeline) WHERE json_extract(value, '$.cost.pending') > 0)`,
      )
      .all() as JobRow[];
    return rows.map(fromRow);
  }

  /** Whether a finished record's intermediates are swept. */
  swept(id: string): boolean {
    const row = this.#db.prepare('SELECT swept_at FROM jobs WHERE id = ?').get(id) as
      | { swept_at: number | null }
      | undefined;
    return row?.swept_at != null;
  }

  /** Records that a finished record's intermediates are gone (unless it was set running again meanwhile). */
  markSwept(id: string, now: number): void {
    this.#db.prepare("UPDATE jobs SET swept_at = ? WHERE id = ? AND status != 'running'").run(now, id);
  }

  /** Forgets committed task outputs of a run: every stage's, or only `stage`'s. */
  dropCommitted(jobId: string, stage?: string): void {
    if (stage === undefined) this.#db.prepare('DELETE FROM job_manifest WHERE job_id = ?').run(jobId);
    else this.#db.prepare('DELETE FROM job_manifest WHERE job_id = ? AND stage = ?').run(jobId, stage);
  }

  /**
   * Deletes a job or pipeline with its stage runs: records, events and manifests, in one transaction.
   * Returns how many records went (0 for an unknown id).
   */
  delete(id: string): number {
    return this.#db.transaction(() => {
      const ids = [
        id,
        ...(this.#db.prepare('SELECT id FROM jobs WHERE parent_id = ?').all(id) as Array<{ id: string }>).map(
          (r) => r.id,
        ),
      ];
      let deleted = 0;
      for (const run of ids) {
        this.#db.prepare('DELETE FROM job_events WHERE job_id = ?').run(run);
        this.#db.prepare('DELETE FROM job_manifest WHERE job_id = ?').run(run);
        deleted += this.#db.prepare('DELETE FROM jobs WHERE id = ?').run(run).changes;
      }
      return deleted;
    })();
  }
}

/** The kind of a run submitted without one: its mapper, or its stages' mappers for a pipeline. */
export function defaultKindOf(spec: JobSpec): string {
  return spec.stages ? `pipeline:${spec.stages.map((s) => s.mapper).join('+')}` : `job:${spec.mapper}`;
}

/** A view's recompute writes under `views/<view>/v<version>-<time>/` (lambda-arch/recompute.ts). */
const RECOMPUTE_OUTPUT = /^views\/([^/]+)\/v\d+-\d+\/$/;

/** The kind of a run recorded before kinds were: recomputes are told apart by where they wrote. */
function legacyKindOf(spec: JobSpec): string {
  const view = RECOMPUTE_OUTPUT.exec(spec.output?.prefix ?? '')?.[1];
  return view === undefined ? defaultKindOf(spec) : `view:${view}`;
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
