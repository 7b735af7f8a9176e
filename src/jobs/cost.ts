/**
 * Cost report of a job: what its invocations cost on AWS Lambda, beside what a provisioned
 * cluster (default 3 × m5.xlarge at $0.192/h, per-second billing with a 60 s minimum, as EC2 and
 * EMR bill) would cost for the same wall time.
 */
import type { ClusterPrice, CostReport } from './types.js';

/** Default cluster the report compares with. */
export const DEFAULT_CLUSTER: ClusterPrice = {
  instances: 3,
  instanceType: 'm5.xlarge',
  pricePerHour: 0.192,
  minimumSeconds: 60,
};

/** Running totals of a job's invocations. */
export interface UsageTotals {
  invocations: number;
  billedMs: number;
  gbSeconds: number;
  costUsd: number;
  /** The failed invocations among them (counted in the totals too). */
  failures: { invocations: number; billedMs: number; costUsd: number };
}

/** Totals before any invocation. */
export function emptyUsage(): UsageTotals {
  return {
    invocations: 0,
    billedMs: 0,
    gbSeconds: 0,
    costUsd: 0,
    failures: { invocations: 0, billedMs: 0, costUsd: 0 },
  };
}

/**
 * Builds the report for `wallMs` of wall time; `open` says how many invocations are still running
 * (`pending`) or were cut off by a stop (`cutOff`), when any are.
 */
export function costReport(
  usage: UsageTotals,
  wallMs: number,
  cluster: Partial<ClusterPrice> = {},
  open: { pending?: number; cutOff?: number } = {},
): CostReport {
  const price = { ...DEFAULT_CLUSTER, ...cluster };
  const billedSeconds = Math.max(price.minimumSeconds, Math.ceil(wallMs / 1000));
  return {
    invocations: usage.invocations,
    billedMs: usage.billedMs,
    gbSeconds: round(usage.gbSeconds, 6),
    lambdaUsd: round(usage.costUsd, 9),
    failures: {
      invocations: usage.failures.invocations,
      billedMs: usage.failures.billedMs,
      usd: round(usage.failures.costUsd, 9),
    },
    wallMs,
    cluster: { ...price, billedSeconds, usd: round((price.instances * price.pricePerHour * billedSeconds) / 3600, 6) },
    ...(open.pending ? { pending: open.pending } : {}),
    ...(open.cutOff ? { cutOff: open.cutOff } : {}),
  };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A report closed without its pending invocations (the engine stopped first): they count as `cutOff`. */
export function closeCutOff(cost: CostReport): CostReport {
  const { pending, ...closed } = cost;
  if (!pending) return cost;
  return { ...closed, cutOff: (closed.cutOff ?? 0) + pending };
}
