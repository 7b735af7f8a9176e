/**
 * Redrive: a message received more than its queue's maxReceiveCount times moves to the
 * dead-letter queue its RedrivePolicy names, keeping its id, body, attributes and send time.
 */
import type { MessageRow, QueueContext } from './schema.js';
import { INSERT_MESSAGE, queueRow } from './schema.js';

/**
 * Moves a message to the dead-letter queue `targetArn` names, inside the caller's transaction;
 * false when that queue does not exist (the message stays where it is).
 */
export function moveToDeadLetter(queues: QueueContext, message: MessageRow, targetArn: string): boolean {
  const target = queues.nameOf(targetArn);
  const db = queues.db;
  if (!queueRow(db, target)) {
    queues.log.warn('dead-letter queue missing; message stays', { queue: message.queue, target });
    return false;
  }
  const info = db
    .prepare(INSERT_MESSAGE)
    .run(
      target,
      message.message_id,
      message.body,
      message.message_attributes,
      message.md5_attrs,
      message.sent_at,
      queues.now(),
      message.group_id,
      message.dedup_id,
    );
  if (target.endsWith('.fifo')) {
    db.prepare('UPDATE sqs_messages SET seq = ?, group_id = COALESCE(group_id, ?) WHERE id = ?').run(
      String(info.lastInsertRowid).padStart(20, '0'),
      'dead-letter',
      info.lastInsertRowid,
    );
  }
  db.prepare('DELETE FROM sqs_messages WHERE id = ?').run(message.id);
  queueMicrotask(() => queues.wake(target));
  return true;
}
