/**
 * Transactions (TransactWriteItems): every write of one request in one SQLite transaction, all or
 * nothing, with every condition evaluated so the cancellation reasons cover each item; and the
 * ClientRequestToken record that makes a repeated request within 10 minutes a no-op.
 */
import { createHash } from 'node:crypto';
import type { Db } from '../../state/db.js';
import type { ChangeLog } from './change-log.js';
import { ConditionalCheckFailed, IdempotentParameterMismatch, TransactionCanceled, ValidationError } from './errors.js';
import { type WritePlan, writeItem } from './item-writes.js';
import type { CancellationReason } from './types.js';

/** A planned transaction item, and whether a failed condition reports the existing item. */
export interface TransactionItem {
  plan: WritePlan;
  returnOldOnFailure?: boolean;
}

/** DynamoDB's limit of items in one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;
/** How long a ClientRequestToken makes its request idempotent. */
const TOKEN_TTL_MS = 10 * 60_000;

/**
 * Runs the items in one transaction; returns the names of tables whose change streams got records
 * (none when the token replays an earlier request).
 * @throws ValidationError (too many items, two on one item), TransactionCanceled, IdempotentParameterMismatch
 */
export function runTransaction(
  db: Db,
  changes: ChangeLog,
  items: TransactionItem[],
  token: { value: string; request: unknown } | undefined,
  now: number,
): Set<string> {
  if (items.length < 1 || items.length > MAX_TRANSACTION_ITEMS) {
    throw new ValidationError(
      `1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TRANSACTION_ITEMS} and greater than or equal to 1`,
    );
  }
  const seen = new Set<string>();
  for (const { plan } of items) {
    const id = JSON.stringify([plan.table.id, ...plan.key]);
    if (seen.has(id)) throw new ValidationError('Transaction request cannot include multiple operations on one item');
    seen.add(id);
  }
  const digest = token ? createHash('sha256').update(JSON.stringify(token.request)).digest('hex') : '';
  const changed = new Set<string>();
  db.transaction(() => {
    if (token) {
      db.prepare('DELETE FROM ddb_transaction_tokens WHERE created_at < ?').run(now - TOKEN_TTL_MS);
      const earlier = db.prepare('SELECT request FROM ddb_transaction_tokens WHERE token = ?').pluck().get(token.value);
      if (earlier === digest) return;
      if (earlier !== undefined) {
        throw new IdempotentParameterMismatch(
          'The request uses the same client token as a previous, but non-identical request.',
        );
      }
    }
    const reasons: CancellationReason[] = [];
    for (const { plan, returnOldOnFailure } of items) {
      try {
        // Nested in this transaction: a savepoint, so a failed item leaves nothing behind.
        if (writeItem(db, changes, plan).changed) changed.add(plan.table.definition.tableName);
        reasons.push({ code: 'None' });
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailed)) throw err;
        reasons.push({
          code: 'ConditionalCheckFailed',
          message: err.message,
          ...(returnOldOnFailure && err.item ? { item: err.item } : {}),
        });
      }
    }
    if (reasons.some((r) => r.code !== 'None')) throw new TransactionCanceled(reasons);
    if (token) {
      db.prepare('INSERT INTO ddb_transaction_tokens (token, request, created_at) VALUES (?, ?, ?)').run(
        token.value,
        digest,
        now,
      );
    }
  })();
  return changed;
}
