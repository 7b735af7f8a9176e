import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Db, openDb } from '../state/db.js';
import { DeliveryQueue, type NewDelivery } from './delivery-queue.js';

const delivery = (id: string, enqueuedAt: number): NewDelivery => ({
  id,
  kind: 'invoke',
  target: 'fn',
  qualifier: '$LATEST',
  payload: '{}',
  trigger: 's3',
  enqueuedAt,
});

describe('DeliveryQueue', () => {
  let dir: string;
  let db: Db;
  /** A queued delivery's id and row, as the pipeline holds them. */
  const ref = (id: string) => {
    const row = db.prepare('SELECT seq FROM deliveries WHERE id = ?').get(id) as { seq: number } | undefined;
    if (!row) throw new Error(`${id} is not queued`);
    return { id, seq: row.seq };
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lambdata-deliveries-'));
    db = openDb(dir, { checkpoint: 'auto' });
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands out due deliveries in commit order, even when they were queued in the same millisecond', () => {
    const queue = new DeliveryQueue(db);
    for (const id of ['c', 'a', 'b']) queue.enqueue(delivery(id, 1000));
    queue.enqueue(delivery('later', 2000));
    expect(queue.dueFor('fn', 1500, 10).map((d) => d.id)).toEqual(['c', 'a', 'b']);
    expect(queue.dueFor('fn', 2000, 2).map((d) => d.id)).toEqual(['c', 'a']);
  });

  it('skips started deliveries without writing their rows, and hands every row out again after a crash', () => {
    const queue = new DeliveryQueue(db);
    queue.enqueue(delivery('x', 1000));
    queue.enqueue(delivery('y', 1000));
    const [x] = queue.dueFor('fn', 1000, 1);
    if (!x) throw new Error('x is due');
    queue.claim(x);
    const changes = db.prepare('SELECT total_changes() AS n').get() as { n: number };
    expect(queue.dueFor('fn', 1000, 10).map((d) => d.id)).toEqual(['y']);
    expect((db.prepare('SELECT total_changes() AS n').get() as { n: number }).n).toBe(changes.n);
    queue.retry(ref('y'), 1, 5000);
    expect(queue.dueFor('fn', 1000, 10)).toEqual([]);
    expect(queue.depth({ trigger: 's3' })).toBe(1);
    expect(queue.depth({ target: 'fn' })).toBe(1);
    expect(queue.depth()).toBe(1);
    expect(queue.nextDueAfter('fn', 1000)).toBe(5000);
    // A new queue on the same database is what a restart after kill -9 sees: nothing is claimed.
    const restarted = new DeliveryQueue(db);
    expect(restarted.dueFor('fn', 1000, 10).map((d) => [d.id, d.attempts])).toEqual([['x', 0]]);
    expect(restarted.nextDueAfter('fn', 1000)).toBe(5000);
    restarted.settle(ref('x'));
    expect(restarted.nextDueAfter('fn', 5000)).toBeUndefined();
    expect(restarted.dueFor('fn', 5000, 10).map((d) => [d.id, d.attempts])).toEqual([['y', 1]]);
  });

  it('steps over a long run of started deliveries to the ones still waiting, and deletes finished ones together', () => {
    const queue = new DeliveryQueue(db);
    // Ten to a millisecond: the cursor must order by commit within one.
    for (let i = 0; i < 250; i++) queue.enqueue(delivery(`d${i}`, 1000 + Math.floor(i / 10)));
    for (const d of queue.dueFor('fn', 2000, 200)) queue.claim(d);
    expect(queue.dueFor('fn', 2000, 3).map((d) => d.id)).toEqual(['d200', 'd201', 'd202']);
    for (const d of queue.dueFor('fn', 2000, 5)) queue.claim(d);
    expect(queue.dueFor('fn', 2000, 2).map((d) => d.id)).toEqual(['d205', 'd206']);
    queue.unclaim(['d200', 'd201', 'd202', 'd203', 'd204']);
    expect(queue.depth()).toBe(50);
    for (let i = 0; i < 200; i += 2) queue.removeLater(ref(`d${i}`));
    // Odd ones fail and come back later; they must not be skipped by the cursor.
    for (let i = 1; i < 200; i += 2) queue.retry(ref(`d${i}`), 1, 1500);
    expect(queue.finished().count).toBe(100);
    let removed: Array<{ id: string }> = [];
    queue.transaction(() => {
      removed = queue.removeFinished();
    });
    queue.unclaim(removed.map((d) => d.id));
    expect(queue.finished()).toEqual({ count: 0, since: undefined });
    expect(queue.depth()).toBe(150);
    const waiting = Array.from({ length: 50 }, (_, i) => `d${200 + i}`);
    const retried = Array.from({ length: 100 }, (_, i) => `d${2 * i + 1}`);
    expect(queue.dueFor('fn', 1499, 200).map((d) => d.id)).toEqual(waiting);
    expect(queue.dueFor('fn', 2000, 200).map((d) => d.id)).toEqual([...waiting, ...retried]);
  });

  it('hands a delivery back when settling it rolls back, though its target stays busy', () => {
    const queue = new DeliveryQueue(db);
    for (const id of ['a', 'b', 'c']) queue.enqueue(delivery(id, 1000));
    for (const d of queue.dueFor('fn', 1000, 2)) queue.claim(d);
    expect(queue.dueFor('fn', 1000, 10).map((d) => d.id)).toEqual(['c']);
    // 'a' finished; what settling it queues fails, so its row stays. 'b' still runs: the target is busy.
    expect(() =>
      queue.settle(ref('a'), () => {
        queue.enqueue(delivery('record-of-a', 1000));
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(queue.dueFor('fn', 1000, 10).map((d) => d.id)).toEqual(['a', 'c']);
    expect(queue.depth()).toBe(2);
    // A retry whose write fails is handed back the same way.
    const [a] = queue.dueFor('fn', 1000, 1);
    if (!a) throw new Error('a is due');
    queue.claim(a);
    db.exec(`CREATE TRIGGER refuse BEFORE UPDATE ON deliveries BEGIN SELECT RAISE(ABORT, 'refused'); END`);
    expect(() => queue.retry(ref('a'), 1, 5000)).toThrow('refused');
    db.exec('DROP TRIGGER refuse');
    expect(queue.dueFor('fn', 1000, 10).map((d) => [d.id, d.attempts])).toEqual([
      ['a', 0],
      ['c', 0],
    ]);
    queue.settle(ref('c'));
    expect(queue.depth()).toBe(1);
  });

  it("rebuilds an earlier version's table without its UNIQUE index on ids, keeping rows, order and claims' keys", () => {
    db.exec(`CREATE TABLE deliveries (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, target TEXT NOT NULL,
      qualifier TEXT, payload TEXT NOT NULL, trigger TEXT NOT NULL, client_context TEXT, dead_letter TEXT,
      enqueued_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,
      state TEXT NOT NULL DEFAULT 'pending', throttled INTEGER NOT NULL DEFAULT 0);
      INSERT INTO deliveries (id, kind, target, qualifier, payload, trigger, enqueued_at, next_at)
        VALUES ('old-1', 'invoke', 'fn', '$LATEST', '{}', 's3', 1000, 1000), ('old-2', 'invoke', 'fn', '$LATEST', '{}', 's3', 1000, 1000);
      CREATE INDEX deliveries_due ON deliveries (state, next_at, seq);`);
    const queue = new DeliveryQueue(db);
    const indexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deliveries'`).all();
    expect(indexes).toEqual([{ name: 'deliveries_target_due' }]);
    queue.enqueue(delivery('new', 1000));
    expect(queue.dueFor('fn', 1000, 10).map((d) => [d.id, d.seq])).toEqual([
      ['old-1', 1],
      ['old-2', 2],
      ['new', 3],
    ]);
  });

  it('hands out due deliveries per target, and forgets a target only once it has none left', () => {
    const queue = new DeliveryQueue(db);
    queue.enqueue(delivery('a1', 1000));
    queue.enqueue({ ...delivery('b1', 1000), target: 'other' });
    expect(queue.targets().sort()).toEqual(['fn', 'other']);
    expect(queue.dueFor('other', 1000, 10).map((d) => d.id)).toEqual(['b1']);
    const [b1] = queue.dueFor('other', 1000, 10);
    if (!b1) throw new Error('b1 is due');
    queue.claim(b1);
    queue.forgetIfEmpty('other');
    expect(queue.targets()).toContain('other');
    queue.removeLater(ref('b1'));
    expect(queue.dueFor('other', 1000, 10)).toEqual([]);
    queue.transaction(() => queue.unclaim(queue.removeFinished().map((d) => d.id)));
    queue.forgetIfEmpty('other');
    expect(queue.targets()).toEqual(['fn']);
    expect(new DeliveryQueue(db).targets()).toEqual(['fn']);
  });
});
