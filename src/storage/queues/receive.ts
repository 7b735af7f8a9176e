/**
 * The receive side: picking receivable messages (FIFO groups in order, one message in flight per
 * group), hiding them for their visibility timeout under a fresh receipt token, redriving those
 * past maxReceiveCount, and what a receipt handle allows afterwards (delete, change visibility).
 */
import { randomBytes } from 'node:crypto';
import { ACCOUNT_ID } from '../../shared/ids.js';
import { parseRedrivePolicy, SETTABLE_DEFAULTS } from './attributes.js';
import { moveToDeadLetter } from './dead-letter.js';
import { InvalidQueueParameter, MessageNotInflight, ReceiptHandleIsInvalid } from './errors.js';
import { md5OfBody } from './md5.js';
import { decodeAttributes } from './message-attributes.js';
import { type MessageRow, type QueueContext, requireQueue } from './schema.js';
import type { ReceivedMessage } from './types.js';

/**
 * Receives up to `max` messages now (no waiting), in one transaction; messages past their
 * retention period are deleted first. @throws QueueDoesNotExist
 */
export function receiveNow(
  queues: QueueContext,
  name: string,
  max: number,
  visibilityTimeout?: number,
): ReceivedMessage[] {
  const db = queues.db;
  return db.transaction(() => {
    const row = requireQueue(db, name);
    const attrs = { ...SETTABLE_DEFAULTS, ...(JSON.parse(row.attributes) as Record<string, string>) };
    const now = queues.now();
    const retentionCutoff = now - Number(attrs.MessageRetentionPeriod) * 1000;
    db.prepare('DELETE FROM sqs_messages WHERE queue = ? AND sent_at < ?').run(name, retentionCutoff);
    const redrive = parseRedrivePolicy(attrs.RedrivePolicy);
    const visibility = visibilityTimeout ?? Number(attrs.VisibilityTimeout);
    const candidates = receivable(queues, name, now, max, redrive !== undefined);
    const out: ReceivedMessage[] = [];
    const update = db.prepare(
      'UPDATE sqs_messages SET visible_at = ?, receive_count = receive_count + 1, first_receive_at = COALESCE(first_receive_at, ?), token = ? WHERE id = ?',
    );
    for (const message of candidates) {
      if (out.length >= max) break;
      if (
        redrive &&
        message.receive_count >= redrive.maxReceiveCount &&
        moveToDeadLetter(queues, message, redrive.deadLetterTargetArn)
      ) {
        continue;
      }
      const token = randomBytes(12).toString('hex');
      update.run(now + visibility * 1000, now, token, message.id);
      out.push(
        toReceived(
          { ...message, receive_count: message.receive_count + 1, first_receive_at: message.first_receive_at ?? now },
          token,
        ),
      );
    }
    return out;
  })();
}

/** Deletes a received message; a stale handle of a message received since is ignored. @throws ReceiptHandleIsInvalid */
export function deleteReceived(queues: QueueContext, name: string, receiptHandle: string): void {
  const { id, token } = parseHandle(receiptHandle);
  queues.db.prepare('DELETE FROM sqs_messages WHERE id = ? AND queue = ? AND token = ?').run(id, name, token);
}

/**
 * Changes how long a received message stays invisible (0 makes it visible at once).
 * @throws ReceiptHandleIsInvalid, MessageNotInflight, InvalidParameterValue
 */
export function changeVisibility(queues: QueueContext, name: string, receiptHandle: string, seconds: number): void {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43200) {
    throw new InvalidQueueParameter(
      `Value ${seconds} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200.`,
    );
  }
  const { id, token } = parseHandle(receiptHandle);
  const now = queues.now();
  const row = queues.db
    .prepare('SELECT visible_at, token FROM sqs_messages WHERE id = ? AND queue = ?')
    .get(id, name) as { visible_at: number; token: string | null } | undefined;
  if (!row) throw new ReceiptHandleIsInvalid(receiptHandle);
  if (row.token !== token || row.visible_at <= now) throw new MessageNotInflight();
  queues.db.prepare('UPDATE sqs_messages SET visible_at = ? WHERE id = ?').run(now + seconds * 1000, id);
  if (seconds === 0) queues.wake(name);
}

/** Receivable messages in order; for FIFO queues a group with an in-flight or delayed message is skipped. */
function receivable(queues: QueueContext, name: string, now: number, max: number, redrive: boolean): MessageRow[] {
  const db = queues.db;
  // With a redrive policy some candidates move away, so read further ahead.
  const limit = redrive ? max * 4 + 100 : max;
  if (!name.endsWith('.fifo')) {
    return db
      .prepare('SELECT * FROM sqs_messages WHERE queue = ? AND visible_at <= ? ORDER BY id LIMIT ?')
      .all(name, now, limit) as MessageRow[];
  }
  const blocked = new Set<string>();
  const out: MessageRow[] = [];
  for (const message of db
    .prepare('SELECT * FROM sqs_messages WHERE queue = ? ORDER BY id')
    .iterate(name) as Iterable<MessageRow>) {
    const group = message.group_id ?? '';
    if (message.visible_at > now) {
      blocked.add(group);
      continue;
    }
    if (blocked.has(group)) continue;
    out.push(message);
    if (out.length >= limit) break;
  }
  return out;
}

function toReceived(row: MessageRow, token: string): ReceivedMessage {
  const attributes: Record<string, string> = {
    SenderId: ACCOUNT_ID,
    SentTimestamp: String(row.sent_at),
    ApproximateReceiveCount: String(row.receive_count),
    ApproximateFirstReceiveTimestamp: String(row.first_receive_at),
  };
  if (row.group_id !== null) attributes.MessageGroupId = row.group_id;
  if (row.dedup_id !== null) attributes.MessageDeduplicationId = row.dedup_id;
  if (row.seq !== null) attributes.SequenceNumber = row.seq;
  return {
    messageId: row.message_id,
    receiptHandle: Buffer.from(`${row.id}:${token}`).toString('base64url'),
    body: row.body,
    md5OfBody: md5OfBody(row.body),
    ...(row.md5_attrs ? { md5OfMessageAttributes: row.md5_attrs } : {}),
    messageAttributes: decodeAttributes(row.message_attributes),
    attributes,
  };
}

function parseHandle(handle: string): { id: number; token: string } {
  const text = Buffer.from(String(handle), 'base64url').toString('utf8');
  const m = /^(\d+):([0-9a-f]{24})$/.exec(text);
  if (!m) throw new ReceiptHandleIsInvalid(handle);
  return { id: Number(m[1]), token: m[2] as string };
}
