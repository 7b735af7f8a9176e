import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../shared/log.js';
import { type Db, openDb } from '../state/db.js';
import { WriteBatch } from './write-batch.js';

const dirs: string[] = [];
const dbs: Db[] = [];
function open(dataDir = mkdtempSync(join(tmpdir(), 'lambdata-write-batch-'))): { db: Db; dataDir: string } {
  if (!dirs.includes(dataDir)) dirs.push(dataDir);
  const db = openDb(dataDir);
  db.exec('CREATE TABLE IF NOT EXISTS t (k TEXT NOT NULL, n INTEGER NOT NULL)');
  db.exec('CREATE TABLE IF NOT EXISTS u (k TEXT PRIMARY KEY)');
  dbs.push(db);
  return { db, dataDir };
}
const count = (db: Db, table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;

afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('WriteBatch', () => {
  it('writes rows on its own thread and flush returns once every row appended before it is readable', () => {
    const { db } = open();
    const batch = new WriteBatch(db, createLogger('test'));
    const t = batch.table({ insert: 'INSERT INTO t (k, n)', columns: 2 });
    for (let i = 0; i < 150; i++) batch.add(t, `k${i}`, i); // more than one multi-row INSERT
    batch.flush();
    expect(count(db, 't')).toBe(150);
    expect(db.prepare('SELECT SUM(n) AS s FROM t').get()).toEqual({ s: (149 * 150) / 2 });
    // A table added after the thread started is written too.
    const u = batch.table({ insert: 'INSERT INTO u (k)', columns: 1 });
    batch.add(u, 'a');
    batch.add(t, 'last', 0);
    batch.flush();
    expect(count(db, 'u')).toBe(1);
    expect(count(db, 't')).toBe(151);
  });

  it('writes within its interval without a flush', async () => {
    const { db } = open();
    const batch = new WriteBatch(db, createLogger('test'));
    const t = batch.table({ insert: 'INSERT INTO t (k, n)', columns: 2 });
    batch.add(t, 'a', 1);
    const deadline = Date.now() + 5000;
    while (count(db, 't') === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(count(db, 't')).toBe(1);
  });

  it('keeps every row appended before the database closes', () => {
    const { db, dataDir } = open();
    const batch = new WriteBatch(db, createLogger('test'));
    const t = batch.table({ insert: 'INSERT INTO t (k, n)', columns: 2 });
    batch.flush(); // the thread runs from the first batch on
    batch.add(t, 'a', 1);
    batch.flush();
    batch.add(t, 'b', 2);
    db.close();
    const { db: reopened } = open(dataDir);
    expect(reopened.prepare('SELECT k FROM t ORDER BY k').all()).toEqual([{ k: 'a' }, { k: 'b' }]);
  });

  it('drops a batch that fails, logs it and keeps writing the next ones', async () => {
    const { db } = open();
    const errors: unknown[] = [];
    const log = { ...createLogger('test'), error: (_: string, fields?: unknown) => errors.push(fields) };
    const batch = new WriteBatch(db, log);
    const u = batch.table({ insert: 'INSERT INTO u (k)', columns: 1 });
    batch.add(u, 'same');
    batch.add(u, 'same'); // violates the primary key: the whole batch is rolled back
    batch.flush();
    batch.add(u, 'other');
    batch.flush();
    expect(db.prepare('SELECT k FROM u').all()).toEqual([{ k: 'other' }]);
    await vi.waitFor(() => expect(errors).toHaveLength(1));
  });

  it('prunes a table every so many rows', () => {
    const { db } = open();
    const batch = new WriteBatch(db, createLogger('test'));
    const t = batch.table({
      insert: 'INSERT INTO t (k, n)',
      columns: 2,
      prune: { every: 10, sql: 'DELETE FROM t WHERE n < (SELECT MAX(n) FROM t) - ?', args: [4] },
    });
    for (let i = 0; i < 10; i++) batch.add(t, 'k', i);
    batch.flush();
    expect(db.prepare('SELECT n FROM t ORDER BY n').all()).toEqual([5, 6, 7, 8, 9].map((n) => ({ n })));
  });
});
