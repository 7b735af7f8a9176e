/**
 * The send path: a message checked against its queue's attributes and inserted, with FIFO
 * deduplication (a repeated deduplication id within five minutes returns the first send) and
 * sequence numbers. Callers run it inside a transaction.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Db } from '../../state/db.js';
import { SETTABLE_DEFAULTS } from './attributes.js';
import { InvalidQueueParameter, MissingQueueParameter } from './errors.js';
import { md5OfBody, md5OfMessageAttributes } from './md5.js';
import { encodeAttributes, validateMessageAttributes } from './message-attributes.js';
import { INSERT_MESSAGE, requireQueue, statement } from './schema.js';
import type { SendInput, SendResult } from './types.js';

const DEDUP_WINDOW_MS = 5 * 60_000;

/**
 * Inserts one message into a queue at time `now`.
 * @throws QueueDoesNotExist, InvalidParameterValue, MissingParameter (no body, FIFO without a group id)
 */
export function insertMessage(db: Db, name: string, input: SendInput, now: number): SendResult {
  const row = requireQueue(db, name);
  const attrs = { ...SETTABLE_DEFAULTS, ...(JSON.parse(row.attributes) as Record<string, string>) };
  const fifo = name.endsWith('.fifo');
  if (typeof input.body !== 'string' || input.body.length === 0) {
    throw new MissingQueueParameter('The request must contain the parameter MessageBody.');
  }
  if (Buffer.byteLength(input.body) > Number(attrs.MaximumMessageSize)) {
    throw new InvalidQueueParameter(
      `One or more parameters are invalid. Reason: Message must be shorter than ${attrs.MaximumMessageSize} bytes.`,
    );
  }
  validateMessageAttributes(input.messageAttributes);
  const delay = input.delaySeconds ?? Number(attrs.DelaySeconds);
  if (!Number.isInteger(delay) || delay < 0 || delay > 900) {
    throw new InvalidQueueParameter(
      `Value ${delay} for parameter DelaySeconds is invalid. Reason: Must be between 0 and 900.`,
    );
  }
  const result: SendResult = {
    messageId: randomUUID(),
    md5OfBody: md5OfBody(input.body),
    md5OfMessageAttributes: md5OfMessageAttributes(input.messageAttributes),
  };
  let dedupId: string | null = null;
  if (fifo) {
    if (!input.groupId) throw new MissingQueueParameter('The request must contain the parameter MessageGroupId.');
    if (input.delaySeconds !== undefined && input.delaySeconds !== 0) {
      throw new InvalidQueueParameter(
        `Value ${input.delaySeconds} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
      );
    }
    dedupId = input.deduplicationId ?? null;
    if (!dedupId) {
      if (attrs.ContentBasedDeduplication !== 'true') {
        throw new InvalidQueueParameter(
          'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
        );
      }
      dedupId = createHash('sha256').update(input.body).digest('hex');
    }
    const seen = statement(
      db,
      'SELECT message_id, seq FROM sqs_dedup WHERE queue = ? AND dedup_id = ? AND expires_at >= ?',
    ).get(name, dedupId, now) as { message_id: string; seq: string } | undefined;
    if (seen) return { ...result, messageId: seen.message_id, sequenceNumber: seen.seq };
  }
  const info = statement(db, INSERT_MESSAGE).run(
    name,
    result.messageId,
    input.body,
    input.messageAttributes ? encodeAttributes(input.messageAttributes) : null,
    result.md5OfMessageAttributes ?? null,
    now,
    now + delay * 1000,
    input.groupId ?? null,
    dedupId,
  );
  if (fifo) {
    const seq = String(info.lastInsertRowid).padStart(20, '0');
    result.sequenceNumber = seq;
    statement(db, 'UPDATE sqs_messages SET seq = ? WHERE id = ?').run(seq, info.lastInsertRowid);
    statement(
      db,
      'INSERT OR REPLACE INTO sqs_dedup (queue, dedup_id, message_id, seq, expires_at) VALUES (?, ?, ?, ?, ?)',
    ).run(name, dedupId, result.messageId, seq, now + DEDUP_WINDOW_MS);
  }
  return result;
}
