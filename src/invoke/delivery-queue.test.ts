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

  it('makes running deliveries pending again after a crash, and backs off retries', () => {
    const queue = new DeliveryQueue(db);
    queue.enqueue(delivery('x', 1000));
    queue.enqueue(delivery('y', 1000));
    queue.markRunning('x');
    queue.retry('y', 1, 5000);
    expect(queue.dueFor('fn', 1000, 10)).toEqual([]);
    expect(queue.depth({ trigger: 's3' })).toBe(1);
    expect(new DeliveryQueue(db).recover()).toBe(1);
    expect(queue.dueFor('fn', 1000, 10).map((d) => [d.id, d.attempts])).toEqual([['x', 0]]);
    expect(queue.nextDueAtFor('fn')).toBe(1000);
    queue.remove('x');
    expect(queue.nextDueAtFor('fn')).toBe(5000);
    expect(queue.dueFor('fn', 5000, 10).map((d) => [d.id, d.attempts])).toEqual([['y', 1]]);
  });

  it('hands out due deliveries per target, and forgets a target only once it has none left', () => {
    const queue = new DeliveryQueue(db);
    queue.enqueue(delivery('a1', 1000));
    queue.enqueue({ ...delivery('b1', 1000), target: 'other' });
    expect(queue.targets().sort()).toEqual(['fn', 'other']);
    expect(queue.dueFor('other', 1000, 10).map((d) => d.id)).toEqual(['b1']);
    queue.markRunning('b1');
    queue.forgetIfEmpty('other');
    expect(queue.targets()).toContain('other');
    queue.removeLater('b1');
    expect(queue.dueFor('other', 1000, 10)).toEqual([]);
    queue.transaction(() => queue.removeFinished());
    queue.forgetIfEmpty('other');
    expect(queue.targets()).toEqual(['fn']);
    expect(new DeliveryQueue(db).targets()).toEqual(['fn']);
  });
});
