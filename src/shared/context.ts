import type Database from 'better-sqlite3';
import type { Logger } from './log.js';

/** Credentials the engine checks on AWS requests and hands to functions. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What every service of the engine receives: the database, the data dir and engine-wide settings. */
export interface EngineContext {
  db: Database.Database;
  dataDir: string;
  region: string;
  credentials: Credentials;
  /** The URL functions use to reach the engine's AWS APIs (AWS_ENDPOINT_URL); set when the server listens. */
  endpoint(): string;
  log: Logger;
}

/** A part of the engine with background work (pollers, queues, timers). */
export interface BackgroundService {
  /** Resumes durable work (queued events, checkpoints) and starts timers. */
  start(): Promise<void>;
  /** Stops timers and drains or durably leaves in-flight work. */
  stop(): Promise<void>;
}
