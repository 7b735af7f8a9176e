/**
 * The queue tables (queues, messages, FIFO deduplication), their rows, and what the queue
 * modules share with the store that owns them.
 */
import type { Statement } from 'better-sqlite3';
import type { Logger } from '../../shared/log.js';
import { type Db, migrate } from '../../state/db.js';
import { QueueDoesNotExist } from './errors.js';

/** A queue as stored: its user-set attributes as JSON. */
export interface QueueRow {
  name: string;
  attributes: string;
  created_at: number;
  modified_at: number;
}

/** A message as stored; `token` is the receipt token of its latest receive. */
export interface MessageRow {
  id: number;
  queue: string;
  message_id: string;
  body: string;
  message_attributes: string | null;
  md5_attrs: string | null;
  sent_at: number;
  visible_at: number;
  receive_count: number;
  first_receive_at: number | null;
  token: string | null;
  group_id: string | null;
  dedup_id: string | null;
  seq: string | null;
}

/** What the send, receive and dead-letter modules need from the store. */
export interface QueueContext {
  db: Db;
  log: Logger;
  now(): number;
  /** Wakes the long polls and pollers waiting on a queue. */
  wake(name: string): void;
  /** The queue name in a queue URL, ARN or plain name. */
  nameOf(urlArnOrName: string): string;
}

/** Inserts a message row (the caller binds queue, ids, body, attributes, times, group and dedup id). */
export const INSERT_MESSAGE = `INSERT INTO sqs_messages (queue, message_id, body, message_attributes, md5_attrs, sent_at, visible_at, group_id, dedup_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const statements = new WeakMap<Db, Map<string, Statement>>();

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sqs_queues (
  name TEXT PRIMARY KEY,
  attributes TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  modified_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sqs_messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  message_id TEXT NOT NULL,
  body TEXT NOT NULL,
  message_attributes TEXT,
  md5_attrs TEXT,
  sent_at INTEGER NOT NULL,
  visible_at INTEGER NOT NULL,
  receive_count INTEGER NOT NULL DEFAULT 0,
  first_receive_at INTEGER,
  token TEXT,
  group_id TEXT,
  dedup_id TEXT,
  seq TEXT
);
CREATE INDEX IF NOT EXISTS sqs_messages_queue ON sqs_messages(queue, visible_at);
CREATE TABLE IF NOT EXISTS sqs_dedup (
  queue TEXT NOT NULL,
  dedup_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  seq TEXT,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (queue, dedup_id)
);
`;

/** Creates the queue tables when missing. */
export function migrateQueues(db: Db): void {
  migrate(db, SCHEMA);
}

/**
 * A statement prepared once per database and SQL text: the send path runs per message (an SNS
 * fan-out sends thousands a second), and preparing costs more than running a small query.
 */
export function statement(db: Db, sql: string): Statement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    cache.set(sql, prepared);
  }
  return prepared;
}

/** A queue's row, or undefined. */
export function queueRow(db: Db, name: string): QueueRow | undefined {
  return statement(db, 'SELECT * FROM sqs_queues WHERE name = ?').get(name) as QueueRow | undefined;
}

/** A queue's row. @throws QueueDoesNotExist */
export function requireQueue(db: Db, name: string): QueueRow {
  const row = queueRow(db, name);
  if (!row) throw new QueueDoesNotExist(name);
  return row;
}
