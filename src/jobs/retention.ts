/**
 * How long finished job runs are kept, as Step Functions and EMR keep execution history for a
 * bounded time: per kind (a job's mapper, a pipeline's mappers, a view's recomputes), the newest
 * `keepRuns` finished runs younger than `keepDays`. The newest finished run of each kind stays
 * whatever its age, so the last result of a job run from cron never disappears between two runs.
 */
import { InvalidParameterValue } from '../shared/errors.js';
import type { FinishedRun } from './job-store.js';

/** Limits on the finished runs kept; 0 turns a limit off. */
export interface RetentionPolicy {
  /** Finished runs kept per kind (default 20). */
  keepRuns: number;
  /** Days a finished run is kept (default 30; fractions allowed). */
  keepDays: number;
}

/** What `lambdata serve` keeps unless told (`--keep-job-runs`, `--keep-job-days`). */
export const DEFAULT_RETENTION: RetentionPolicy = { keepRuns: 20, keepDays: 30 };

const DAY_MS = 86_400_000;

/**
 * The policy with defaults filled in.
 * @throws InvalidParameterValue naming a limit that is not a non-negative number (keepRuns: an integer).
 */
export function retentionPolicy(options: Partial<RetentionPolicy> = {}): RetentionPolicy {
  const policy = { ...DEFAULT_RETENTION, ...definedOnly(options) };
  if (!Number.isSafeInteger(policy.keepRuns) || policy.keepRuns < 0)
    throw new InvalidParameterValue(`keepRuns must be a non-negative integer (0: no limit), got ${policy.keepRuns}`);
  if (!Number.isFinite(policy.keepDays) || policy.keepDays < 0)
    throw new InvalidParameterValue(`keepDays must be a non-negative number (0: no limit), got ${policy.keepDays}`);
  return policy;
}

/**
 * The finished runs the policy no longer keeps. `runs` comes grouped by kind, newest first within
 * each (JobStore.finished); running runs are never in it.
 */
export function expiredRuns(runs: readonly FinishedRun[], policy: RetentionPolicy, now: number): string[] {
  const oldest = policy.keepDays > 0 ? now - policy.keepDays * DAY_MS : Number.NEGATIVE_INFINITY;
  const expired: string[] = [];
  let kind: string | undefined;
  let rank = 0;
  for (const run of runs) {
    rank = run.kind === kind ? rank + 1 : 0;
    kind = run.kind;
    if (rank === 0) continue;
    if ((policy.keepRuns > 0 && rank >= policy.keepRuns) || run.finishedAt < oldest) expired.push(run.id);
  }
  return expired;
}

function definedOnly(options: Partial<RetentionPolicy>): Partial<RetentionPolicy> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}
