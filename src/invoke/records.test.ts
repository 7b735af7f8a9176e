import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineContext } from '../shared/context.js';
import { createLogger } from '../shared/log.js';
import { openDb } from '../state/db.js';
import { RecordStore } from './records.js';
import type { InvocationRecord } from './types.js';

const dirs: string[] = [];
const dbs: EngineContext['db'][] = [];
function context(dataDir = mkdtempSync(join(tmpdir(), 'lambdata-records-'))): Pick<EngineContext, 'db' | 'log'> {
  dirs.push(dataDir);
  const db = openDb(dataDir);
  dbs.push(db);
  return { db, log: createLogger('test') };
}

afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const ok: InvocationRecord = {
  requestId: 'r-1',
  functionName: 'f',
  version: '3',
  trigger: 's3',
  invocationType: 'Event',
  startedAt: 1_700_000_000_123,
  durationMs: 12.345678901,
  billedDurationMs: 13,
  initDurationMs: 87.5,
  memorySizeMb: 256,
  maxMemoryUsedMb: 71,
  outcome: 'success',
  gbSeconds: 0.00325,
  costUsd: 5.6e-8,
  attempt: 2,
};
const failed: InvocationRecord = {
  ...ok,
  requestId: 'r-2',
  functionName: 'g',
  trigger: 'api',
  invocationType: 'RequestResponse',
  initDurationMs: null,
  outcome: 'handled',
  errorType: 'TypeError',
  errorMessage: 'x is not a function',
  attempt: 1,
};

describe('RecordStore', () => {
  it('gives back every field of the records it stored, newest first, filtered by function and trigger', () => {
    const records = new RecordStore(context());
    records.add(ok);
    records.add(failed);
    expect(records.recent()).toEqual([failed, ok]);
    expect(records.recent({ functionName: 'f' })).toEqual([ok]);
    expect(records.recent({ trigger: 'api' })).toEqual([failed]);
    expect(records.recent({ limit: 1 })).toEqual([failed]);
  });

  it('reads records stored whole, as rows written before records were packed hold them', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-records-'));
    const first = new RecordStore(context(dataDir));
    (dbs[0] as EngineContext['db'])
      .prepare(
        'INSERT INTO invoke_records (request_id, function_name, trigger, started_at, record) VALUES (?, ?, ?, ?, ?)',
      )
      .run(failed.requestId, failed.functionName, failed.trigger, failed.startedAt, JSON.stringify(failed));
    first.add(ok);
    expect(first.recent()).toEqual([ok, failed]);
  });
});
