/**
 * Turns one batch of stream records into master-dataset objects: valid events grouped by event
 * hour into JSON-lines bodies (plain, or gzip for a dataset that asks for it) named by shard and
 * first sequence number, and invalid or late events with the reason they were refused. Pure and
 * deterministic: the same records give the same names and bytes, which is what makes a redelivered
 * batch rewrite identical objects.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { StreamRecordRef } from '../storage/streams/index.js';
import type { Compression } from './types.js';
import { bucketOf, eventTime, GRANULARITIES, type TimedEvent } from './view-module.js';

export type { TimedEvent } from './view-module.js';

/** One object to write. */
export interface MasterObject {
  key: string;
  body: Buffer;
  events: number;
  minTime: number;
  maxTime: number;
  hour: number;
}

/** A refused record and why. */
export interface RefusedRecord {
  record: StreamRecordRef;
  reason: string;
}

/** What a batch comes to. */
export interface ArchivePlan {
  accepted: TimedEvent[];
  objects: MasterObject[];
  refused: RefusedRecord[];
}

// Fast compression: the archive runs on the engine's thread inside the ingest path, and level 1
// costs a fraction of the default's CPU for bodies a little larger; reading them back is as fast.
const GZIP_LEVEL = 1;

/** The first bytes of every gzip member; a JSON line never begins with them. */
const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Plans a batch of one shard's records (in order) for a dataset. */
export function planArchive(
  records: StreamRecordRef[],
  options: { prefix: string; timeField: string; sealed: number; compression: Compression },
): ArchivePlan {
  const accepted: TimedEvent[] = [];
  const refused: RefusedRecord[] = [];
  const groups = new Map<number, { first: string; lines: string[]; events: TimedEvent[] }>();
  for (const record of records) {
    const verdict = judge(record, options);
    if ('reason' in verdict) {
      refused.push({ record, reason: verdict.reason });
      continue;
    }
    accepted.push({ event: verdict.event, time: verdict.time });
    const hour = bucketOf(verdict.time, GRANULARITIES.hour);
    let group = groups.get(hour);
    if (!group) {
      group = { first: record.sequenceNumber, lines: [], events: [] };
      groups.set(hour, group);
    }
    group.lines.push(verdict.line);
    group.events.push(verdict);
  }
  const shardId = records[0]?.shardId ?? '';
  const gzip = options.compression === 'gzip';
  const objects = [...groups].map(([hour, g]) => {
    const times = g.events.map((e) => e.time);
    const lines = g.lines.join('');
    return {
      key: `${options.prefix}${partitionOf(hour)}/part-${shardId}-${g.first}.jsonl${gzip ? '.gz' : ''}`,
      body: gzip ? gzipSync(lines, { level: GZIP_LEVEL }) : Buffer.from(lines),
      events: g.events.length,
      minTime: Math.min(...times),
      maxTime: Math.max(...times),
      hour,
    };
  });
  return { accepted, objects, refused };
}

/** The JSON lines of a master object's body, plain or gzip (objects of either kind may be in a dataset). */
export function linesOf(body: Buffer): string {
  const gzip = body[0] === GZIP_MAGIC[0] && body[1] === GZIP_MAGIC[1];
  return (gzip ? gunzipSync(body) : body).toString('utf8');
}

/** The content type a master object is stored with. */
export function contentTypeOf(key: string): string {
  return key.endsWith('.gz') ? 'application/gzip' : 'application/x-ndjson';
}

/** The events of a master object's body, with their times read as the archive judged them. */
export function eventsOf(body: Buffer, timeField: string): TimedEvent[] {
  const events: TimedEvent[] = [];
  for (const line of linesOf(body).split('\n')) {
    if (!line) continue;
    const event = JSON.parse(line) as Record<string, unknown>;
    events.push({ event, time: eventTime(event, timeField) ?? Number.NaN });
  }
  return events;
}

/** `dt=YYYY-MM-DD/hour=HH` of an hour's start. */
export function partitionOf(hour: number): string {
  const iso = new Date(hour).toISOString();
  return `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
}

/** An accepted event with its JSON line in the master object. */
type Judged = TimedEvent & { line: string };

function judge(record: StreamRecordRef, options: { timeField: string; sealed: number }): Judged | { reason: string } {
  const text = record.data.toString('utf8');
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch (err) {
    return { reason: `InvalidJson: ${(err as Error).message}` };
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event))
    return { reason: 'SchemaViolation: an event must be a JSON object' };
  const time = eventTime(event as Record<string, unknown>, options.timeField);
  if (time === undefined)
    return { reason: `SchemaViolation: field ${options.timeField} must hold the event time (ISO-8601 or epoch ms)` };
  if (time < options.sealed)
    return {
      reason: `LateEvent: event time ${new Date(time).toISOString()} is below the sealed horizon ${new Date(options.sealed).toISOString()}`,
    };
  // The record's own bytes are the line unless they span lines (pretty-printed JSON): no re-encoding.
  const line = /[\n\r]/.test(text) ? `${JSON.stringify(event)}\n` : `${text}\n`;
  return { event: event as Record<string, unknown>, time, line };
}
