/**
 * The invocation records and log lines of running jobs' invocations, kept from the engine's topics
 * until the job that made each invocation takes them (for its cost and its progress stream); what no
 * job takes ages out.
 */
import type { InvocationRecord, LogLine } from '../invoke/index.js';

const RECORD_TTL_MS = 10 * 60_000;
/** Invocation records and log-line sets kept, at most (the oldest go first). */
const MAX_KEPT = 10_000;
/** Lines kept per invocation for a job's progress stream; the rest are counted in one closing line. */
const LINES_PER_INVOCATION = 50;
/** Platform lines a job does not republish (its own events say when tasks start and end). */
const PLATFORM_LINE = /^(START|END) RequestId: /;

/** Records and log lines of job invocations, by request id. */
export class JobInvocations {
  readonly #records = new Map<string, InvocationRecord & { seenAt: number }>();
  readonly #lines = new Map<string, { lines: string[]; dropped: number; seenAt: number }>();

  /** Keeps an invocation's record (call while some job runs). */
  keepRecord(record: InvocationRecord): void {
    this.#records.set(record.requestId, { ...record, seenAt: Date.now() });
    evictOldest(this.#records);
  }

  /** A kept invocation record. */
  record(requestId: string): InvocationRecord | undefined {
    return this.#records.get(requestId);
  }

  /**
   * Keeps a log line of a function some running job uses (`usedByJob`), until the job that made the
   * invocation takes it (lines of the same functions invoked by others age out).
   */
  keepLine(line: LogLine, usedByJob: (functionName: string) => boolean): void {
    if (PLATFORM_LINE.test(line.line)) return;
    let kept = this.#lines.get(line.requestId);
    if (!kept) {
      if (!usedByJob(line.functionName)) return;
      kept = { lines: [], dropped: 0, seenAt: Date.now() };
      this.#lines.set(line.requestId, kept);
      evictOldest(this.#lines);
    }
    if (kept.lines.length < LINES_PER_INVOCATION) kept.lines.push(line.line);
    else kept.dropped += 1;
  }

  /** The kept lines of one invocation (once: they are forgotten here). */
  takeLines(requestId: string): string[] {
    const kept = this.#lines.get(requestId);
    if (!kept) return [];
    this.#lines.delete(requestId);
    if (kept.dropped === 0) return kept.lines;
    return [...kept.lines, `… ${kept.dropped} more lines: lambdata logs <function> shows them all`];
  }
}

/** Drops entries past their time to live, and the oldest past MAX_KEPT (maps iterate in insertion order). */
function evictOldest(map: Map<string, { seenAt: number }>): void {
  const cutoff = Date.now() - RECORD_TTL_MS;
  for (const [id, entry] of map) {
    if (entry.seenAt >= cutoff && map.size <= MAX_KEPT) return;
    map.delete(id);
  }
}
