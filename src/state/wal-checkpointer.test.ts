import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, openDb } from './db.js';
import { startWalCheckpointer } from './wal-checkpointer.js';

const dirs: string[] = [];
const opened: Db[] = [];

function open(options: Parameters<typeof openDb>[1] = {}): { db: Db; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lambdata-wal-'));
  dirs.push(dir);
  const db = openDb(dir, options);
  opened.push(db);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
  return { db, file: join(dir, 'lambdata.db') };
}

/** Writes `mb` MiB in 64 KiB rows, one transaction per MiB. */
function write(db: Db, mb: number): void {
  const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
  const row = Buffer.alloc(64 * 1024, 7);
  const batch = db.transaction(() => {
    for (let i = 0; i < 16; i++) insert.run(row);
  });
  for (let i = 0; i < mb; i++) batch();
}

function autocheckpoint(db: Db): unknown {
  return db.pragma('wal_autocheckpoint', { simple: true });
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

afterEach(() => {
  for (const db of opened.splice(0)) if (db.open) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('background WAL checkpoints', () => {
  it('once the WAL has grown past 3 MiB, a worker takes the checkpoints over from commits', async () => {
    const { db, file } = open();
    // Until then SQLite checkpoints inside commits, as it does by default.
    expect(autocheckpoint(db)).toBe(1000);
    write(db, 4);
    await until(() => autocheckpoint(db) === 16_384);
    const before = statSync(file).size;
    write(db, 8);
    // Commits now leave 8 MiB in the WAL, far below their own 64 MiB bound: only the worker copies it.
    await until(() => statSync(file).size >= before + 8 * 1024 * 1024);
    expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(12 * 16);
  });

  it("'auto' keeps SQLite's own checkpoints inside commits", () => {
    const { db, file } = open({ checkpoint: 'auto' });
    expect(autocheckpoint(db)).toBe(1000);
    write(db, 8);
    expect(statSync(file).size).toBeGreaterThanOrEqual(4 * 1024 * 1024);
  });

  it('close() stops the worker first, so the last connection removes the WAL', async () => {
    const { db, file } = open();
    write(db, 4);
    await until(() => autocheckpoint(db) === 16_384);
    write(db, 2);
    db.close();
    // SQLite deletes the WAL only when the last connection to the database closes.
    expect(existsSync(`${file}-wal`)).toBe(false);
    expect(statSync(file).size).toBeGreaterThanOrEqual(6 * 1024 * 1024);
  });

  it('close() right after open, before the worker started, still closes cleanly', () => {
    const { db, file } = open();
    db.close();
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('a writer that never pauses still keeps the WAL under maxFrames', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lambdata-wal-'));
    dirs.push(dir);
    const file = join(dir, 'lambdata.db');
    const db = new Database(file);
    opened.push(db);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)');
    const checkpointer = startWalCheckpointer(db, { synchronous: 'NORMAL', maxFrames: 256 });
    try {
      expect(autocheckpoint(db)).toBe(256);
      // Synchronous writes never yield to the event loop: the WAL never waits for the worker to rewind it.
      let largest = 0;
      for (let i = 0; i < 64; i++) {
        write(db, 1);
        largest = Math.max(largest, statSync(`${file}-wal`).size);
      }
      expect(largest).toBeLessThan(8 * 1024 * 1024);
      expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(64 * 16);
    } finally {
      checkpointer.stop();
    }
  });
});
