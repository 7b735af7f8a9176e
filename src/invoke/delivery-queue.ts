import type { Db } from '../state/db.js';
import { migrateDeliveries } from './delivery-schema.js';
import { statementCache } from './statements.js';
import type { DeadLetter } from './types.js';

/**
 * What a delivery does: `invoke` runs a function asynchronously (the function's retry and
 * destination settings apply); `send` hands a record to a destination that is not a function
 * (a queue or a topic); `dead-letter` sends a discarded event to its function's dead-letter queue
 * or topic (DeadLetterConfig), the event as the body and its letter's request id and error as
 * message attributes.
 */
export type DeliveryKind = 'invoke' | 'send' | 'dead-letter';

/** One delivery waiting (or running) in the durable queue. */
export interface Delivery {
  /** Its row: commit order. */
  seq: number;
  /** The request id of an invocation; the record id of a send. */
  id: string;
  kind: DeliveryKind;
  /** The function name (invoke) or the destination ARN (send). */
  target: string;
  /** The function version (invoke). */
  qualifier?: string;
  payload: string;
  /** What caused it: 'api', 's3', 'destination' … */
  trigger: string;
  clientContext?: string;
  /** A send that cannot be delivered keeps this letter (the async event whose failure it reports; a dead-letter send's own). */
  deadLetter?: DeadLetter;
  enqueuedAt: number;
  /** Finished attempts (throttles do not count). */
  attempts: number;
  nextAt: number;
}

/**
 * What a producer puts in the queue. With `payloadForm`, `payload` is stored in that form and turned
 * into the event by the form's expander (`addPayloadForm`) whenever the row is read.
 */
export type NewDelivery = Omit<Delivery, 'seq' | 'attempts' | 'nextAt'> & { payloadForm?: string };

/** Turns a payload stored in a compact form back into the event it stands for. */
export type PayloadExpander = (stored: string) => string;

interface Row {
  seq: number;
  id: string;
  kind: DeliveryKind;
  target: string;
  qualifier: string | null;
  payload: string;
  trigger: string;
  client_context: string | null;
  dead_letter: string | null;
  enqueued_at: number;
  attempts: number;
  next_at: number;
  payload_form: string | null;
}

/** Where a target's due reads start: every row at or before it was claimed when a read passed it. */
interface Cursor {
  nextAt: number;
  seq: number;
}

interface Claim {
  seq: number;
  target: string;
  trigger: string;
}

/**
 * The one durable delivery queue in SQLite. A delivery is committed by `enqueue` (inside the
 * producer's own transaction when it has one) before the producer acknowledges anything, and
 * stays in its row, untouched while it runs, until it is removed or rescheduled: that a delivery
 * is running is kept in memory only (`claim`), so starting one costs no write, and after a crash
 * or restart every row left is simply due again (at least once, as Lambda delivers async events).
 * Due deliveries come out in commit order per target (a function, or a destination ARN), so that
 * one target waiting for capacity holds up no other.
 */
export class DeliveryQueue {
  #db: Db;
  #sql: ReturnType<typeof statementCache>;
  /**
   * Every target that may have deliveries: added on enqueue (a rolled-back one only costs a query),
   * dropped by `forgetIfEmpty`.
   */
  #targets = new Set<string>();
  /** Deliveries started in this process whose rows are not yet removed or rescheduled. */
  #claims = new Map<string, Claim>();
  /** Claimed deliveries per target, to reset a target's cursor once it has none. */
  #claimsPerTarget = new Map<string, number>();
  /** Per target, where due reads start, past the run of claimed rows at its head. */
  #cursors = new Map<string, Cursor>();
  /**
   * Per target, the rows the last `dueFor` handed out right after the cursor, in order: claiming
   * them in that order moves the cursor, so a started row is not read again to be stepped over.
   */
  #heads = new Map<string, { rows: Array<Cursor & { id: string }>; next: number }>();
  /** Finished deliveries waiting for `removeFinished`: their ids and rows. */
  #finished: string[] = [];
  #finishedSeqs: number[] = [];
  #finishedSince: number | undefined;
  #forms = new Map<string, PayloadExpander>();

  constructor(db: Db) {
    this.#db = db;
    migrateDeliveries(db);
    this.#sql = statementCache(db);
    for (const row of db.prepare('SELECT DISTINCT target FROM deliveries').all() as Array<{ target: string }>) {
      this.#targets.add(row.target);
    }
  }

  /**
   * Adds a compact form payloads may be stored in (an SNS message rather than the `Records[].Sns`
   * event built from it): smaller rows to write and read, and no event built while the producer
   * waits. Register it before `dueFor` reads such rows.
   */
  addPayloadForm(name: string, expand: PayloadExpander): void {
    this.#forms.set(name, expand);
  }

  enqueue(delivery: NewDelivery): void {
    this.#sql(
      `INSERT INTO deliveries (id, kind, target, qualifier, payload, trigger, client_context, dead_letter, enqueued_at, next_at, payload_form)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      delivery.id,
      delivery.kind,
      delivery.target,
      delivery.qualifier ?? null,
      delivery.payload,
      delivery.trigger,
      delivery.clientContext ?? null,
      delivery.deadLetter ? JSON.stringify(delivery.deadLetter) : null,
      delivery.enqueuedAt,
      delivery.enqueuedAt,
      delivery.payloadForm ?? null,
    );
    this.#targets.add(delivery.target);
  }

  /** The targets that may have deliveries (a copy). */
  targets(): string[] {
    return [...this.#targets];
  }

  /** Drops a target from `targets` when it has no delivery left, waiting or running. */
  forgetIfEmpty(target: string): void {
    if (this.#sql('SELECT 1 FROM deliveries WHERE target = ? LIMIT 1').get(target) === undefined) {
      this.#targets.delete(target);
    }
  }

  /**
   * Unclaimed deliveries of one target due by `now`, earliest due first, then in commit order. The
   * claimed run at the head of the target's rows is stepped over once (the cursor moves past it),
   * not read again on every call.
   */
  dueFor(target: string, now: number, limit: number): Delivery[] {
    const out: Delivery[] = [];
    const head: Array<Cursor & { id: string }> = [];
    let from = this.#cursors.get(target);
    let atHead = true;
    let contiguous = true;
    while (out.length < limit) {
      const wanted = limit - out.length;
      const rows = this.#dueRows(target, now, from, wanted);
      for (const row of rows) {
        const claimed = this.#claims.has(row.id);
        if (claimed && atHead) this.#cursors.set(target, { nextAt: row.next_at, seq: row.seq });
        if (claimed && !atHead) contiguous = false;
        if (!claimed) {
          atHead = false;
          out.push(this.#fromRow(row));
          if (contiguous) head.push({ id: row.id, nextAt: row.next_at, seq: row.seq });
        }
      }
      const last = rows.at(-1);
      if (last === undefined || rows.length < wanted) break;
      from = { nextAt: last.next_at, seq: last.seq };
    }
    this.#heads.set(target, { rows: head, next: 0 });
    return out;
  }

  /**
   * When the earliest delivery of one target due after `after` falls due (a retry's backoff), if any:
   * one index seek. Rows due by then are not looked at, so claimed ones need no stepping over (a
   * delivery is claimed only once due).
   */
  nextDueAfter(target: string, after: number): number | undefined {
    const row = this.#sql(
      `SELECT next_at FROM deliveries WHERE target = ? AND state = 'pending' AND next_at > ? ORDER BY next_at LIMIT 1`,
    ).get(target, after) as { next_at: number } | undefined;
    return row?.next_at;
  }

  /** Marks a delivery as started, in memory: `dueFor` skips it until it is removed or rescheduled. */
  claim(delivery: Delivery): void {
    this.#claims.set(delivery.id, { seq: delivery.seq, target: delivery.target, trigger: delivery.trigger });
    const head = this.#heads.get(delivery.target);
    const row = head?.rows[head.next];
    if (head && row?.id === delivery.id) {
      this.#cursors.set(delivery.target, row);
      head.next += 1;
    }
    this.#claimsPerTarget.set(delivery.target, (this.#claimsPerTarget.get(delivery.target) ?? 0) + 1);
  }

  /** Schedules another attempt after a failed one. When the write fails, the delivery is handed back as it was (see `settle`). */
  retry(delivery: Pick<Delivery, 'id' | 'seq'>, attempts: number, nextAt: number): void {
    try {
      this.#sql('UPDATE deliveries SET attempts = ?, next_at = ? WHERE seq = ?').run(attempts, nextAt, delivery.seq);
    } catch (err) {
      this.release(delivery.id);
      throw err;
    }
    this.unclaim([delivery.id]);
  }

  /** Hands a started delivery back without counting an attempt (the engine is stopping): its row never changed. */
  release(id: string): void {
    const claim = this.#claims.get(id);
    this.unclaim([id]);
    // Its row is behind the cursor again: the next read starts from the target's first row.
    if (claim) this.#forgetPosition(claim.target);
  }

  /**
   * Settles a delivery for good: deletes its row and runs `work` (what settling it queues: a
   * destination record, a dead letter) in one transaction, nested in the caller's when there is one.
   * It is unclaimed only once that commits. When it rolls back, the row is back as it was, so the
   * delivery is handed back (`release`) to be read again from its target's first row rather than
   * left behind a busy target's cursor, and the error is rethrown.
   */
  settle(delivery: Pick<Delivery, 'id' | 'seq'>, work?: () => void): void {
    try {
      this.#db.transaction(() => {
        this.#sql('DELETE FROM deliveries WHERE seq = ?').run(delivery.seq);
        work?.();
      })();
    } catch (err) {
      this.release(delivery.id);
      throw err;
    }
    this.unclaim([delivery.id]);
  }

  /**
   * Removes a finished delivery with a later `removeFinished`, so a burst of finished invocations
   * costs one statement in one commit rather than a commit each; it stays claimed until then. A
   * crash before then runs it again after restart: at least once, as Lambda delivers async events.
   */
  removeLater(delivery: Pick<Delivery, 'id' | 'seq'>): void {
    this.#finished.push(delivery.id);
    this.#finishedSeqs.push(delivery.seq);
    this.#finishedSince ??= performance.now();
  }

  /** How many finished deliveries wait for `removeFinished`, and since when (`performance.now()`). */
  finished(): { count: number; since: number | undefined } {
    return { count: this.#finished.length, since: this.#finishedSince };
  }

  /**
   * Deletes the deliveries `removeLater` noted, in one statement; call inside a transaction. Answers
   * them: the caller hands their ids to `unclaim` once that transaction commits, or them back to
   * `removeLater` when it rolls back.
   */
  removeFinished(): Array<Pick<Delivery, 'id' | 'seq'>> {
    const finished = this.#finished.map((id, i) => ({ id, seq: this.#finishedSeqs[i] as number }));
    if (finished.length > 0) {
      this.#sql('DELETE FROM deliveries WHERE seq IN (SELECT value FROM json_each(?))').run(
        JSON.stringify(this.#finishedSeqs),
      );
    }
    this.#finished = [];
    this.#finishedSeqs = [];
    this.#finishedSince = undefined;
    return finished;
  }

  /** Forgets that these deliveries run (their rows are gone or rescheduled). */
  unclaim(ids: string[]): void {
    for (const id of ids) {
      const claim = this.#claims.get(id);
      if (!claim) continue;
      this.#claims.delete(id);
      const left = (this.#claimsPerTarget.get(claim.target) ?? 1) - 1;
      if (left > 0) {
        this.#claimsPerTarget.set(claim.target, left);
      } else {
        // Nothing of this target runs: its next read starts from its first row again.
        this.#claimsPerTarget.delete(claim.target);
        this.#forgetPosition(claim.target);
      }
    }
  }

  /** On start: rows an older version marked running are plain rows again (nothing is claimed yet). */
  recover(): number {
    return this.#sql(`UPDATE deliveries SET state = 'pending' WHERE state = 'running'`).run().changes;
  }

  /** Deliveries waiting (not running): all, or those of one target or one trigger. */
  depth(filter: { target?: string; trigger?: string } = {}): number {
    if (filter.target !== undefined) {
      const rows = this.#count(`SELECT COUNT(*) AS n FROM deliveries WHERE target = ?`, filter.target);
      return rows - (this.#claimsPerTarget.get(filter.target) ?? 0);
    }
    if (filter.trigger !== undefined) {
      const rows = this.#count(`SELECT COUNT(*) AS n FROM deliveries WHERE trigger = ?`, filter.trigger);
      let claimed = 0;
      for (const claim of this.#claims.values()) if (claim.trigger === filter.trigger) claimed += 1;
      return rows - claimed;
    }
    return this.#count('SELECT COUNT(*) AS n FROM deliveries') - this.#claims.size;
  }

  /** Runs `work` in one transaction (nested calls join the outer one). */
  transaction(work: () => void): void {
    this.#db.transaction(work)();
  }

  #forgetPosition(target: string): void {
    this.#cursors.delete(target);
    this.#heads.delete(target);
  }

  #fromRow(row: Row): Delivery {
    const delivery = fromRow(row);
    if (row.payload_form !== null) {
      const expand = this.#forms.get(row.payload_form);
      // The engine registers every form before deliveries start: a missing one is a bug of the engine.
      if (!expand) throw new Error(`no expander for payload form ${row.payload_form}`);
      delivery.payload = expand(row.payload);
    }
    return delivery;
  }

  #dueRows(target: string, now: number, from: Cursor | undefined, limit: number): Row[] {
    return this.#due('*', target, now, from, limit) as Row[];
  }

  #due(columns: string, target: string, now: number, from: Cursor | undefined, limit: number): unknown[] {
    if (from === undefined) {
      return this.#sql(
        `SELECT ${columns} FROM deliveries WHERE target = ? AND state = 'pending' AND next_at <= ? ORDER BY next_at, seq LIMIT ?`,
      ).all(target, now, limit);
    }
    // Two index ranges rather than one row-value comparison, which SQLite seeks by next_at alone and
    // then walks every row queued in the cursor's millisecond (a PublishBatch queues hundreds in one).
    const same = this.#sql(
      `SELECT ${columns} FROM deliveries WHERE target = ? AND state = 'pending' AND next_at = ? AND seq > ? AND next_at <= ?
         ORDER BY seq LIMIT ?`,
    ).all(target, from.nextAt, from.seq, now, limit);
    if (same.length === limit) return same;
    const later = this.#sql(
      `SELECT ${columns} FROM deliveries WHERE target = ? AND state = 'pending' AND next_at > ? AND next_at <= ?
         ORDER BY next_at, seq LIMIT ?`,
    ).all(target, from.nextAt, now, limit - same.length);
    return same.length === 0 ? later : [...same, ...later];
  }

  #count(sql: string, ...args: string[]): number {
    return (this.#sql(sql).get(...args) as { n: number }).n;
  }
}

function fromRow(row: Row): Delivery {
  const delivery: Delivery = {
    seq: row.seq,
    id: row.id,
    kind: row.kind,
    target: row.target,
    payload: row.payload,
    trigger: row.trigger,
    enqueuedAt: row.enqueued_at,
    attempts: row.attempts,
    nextAt: row.next_at,
  };
  if (row.qualifier !== null) delivery.qualifier = row.qualifier;
  if (row.client_context !== null) delivery.clientContext = row.client_context;
  if (row.dead_letter !== null) delivery.deadLetter = JSON.parse(row.dead_letter) as DeadLetter;
  return delivery;
}
