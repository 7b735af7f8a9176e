/** The topic tables: topics, subscriptions, FIFO deduplication. */
import { type Db, migrate } from '../../state/db.js';

export interface TopicRow {
  name: string;
  attributes: string;
  tags: string;
  created_at: number;
}

export interface SubscriptionRow {
  arn: string;
  topic: string;
  protocol: string;
  endpoint: string;
  attributes: string;
  confirmed: number;
  token: string | null;
  created_at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sns_topics (
  name TEXT PRIMARY KEY,
  attributes TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sns_subscriptions (
  arn TEXT PRIMARY KEY,
  topic TEXT NOT NULL,
  protocol TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  attributes TEXT NOT NULL,
  confirmed INTEGER NOT NULL,
  token TEXT,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sns_subscriptions_topic ON sns_subscriptions (topic, created_at);
CREATE TABLE IF NOT EXISTS sns_dedup (
  topic TEXT NOT NULL,
  dedup_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  seq TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (topic, dedup_id)
);
CREATE TABLE IF NOT EXISTS sns_sequence (topic TEXT PRIMARY KEY, last INTEGER NOT NULL);`;

/** Creates the topic tables once. */
export function migrateTopics(db: Db): void {
  migrate(db, SCHEMA);
}
