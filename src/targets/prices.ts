/**
 * AWS Lambda's on-demand prices (first monthly tier) by region and architecture, and the invocation
 * record a REPORT line from a Tail log makes: billed duration × memory, priced as AWS bills it.
 */
import type { InvocationRecord, PriceTable } from '../invoke/index.js';
import type { Architecture } from './types.js';

/** Most regions: $0.0000166667 per GB-second on x86, $0.0000133334 on Arm, $0.20 per million requests. */
const STANDARD: Record<Architecture, PriceTable> = {
  x86_64: { perGbSecond: 0.0000166667, perMillionRequests: 0.2, granularityMs: 1 },
  arm64: { perGbSecond: 0.0000133334, perMillionRequests: 0.2, granularityMs: 1 },
};

/** Regions priced above the standard rate. */
const REGIONAL: Record<string, Record<Architecture, PriceTable>> = {
  'af-south-1': {
    x86_64: { perGbSecond: 0.0000221, perMillionRequests: 0.28, granularityMs: 1 },
    arm64: { perGbSecond: 0.0000177, perMillionRequests: 0.28, granularityMs: 1 },
  },
};

/** Figures of one REPORT line (`REPORT RequestId: … Duration: … Billed Duration: … Memory Size: …`). */
export interface ReportFigures {
  requestId: string;
  durationMs: number;
  billedDurationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  initDurationMs: number | null;
}

const REPORT =
  /REPORT RequestId: (\S+)\s+Duration: ([\d.]+) ms\s+Billed Duration: (\d+) ms\s+Memory Size: (\d+) MB\s+Max Memory Used: (\d+) MB(?:\s+Init Duration: ([\d.]+) ms)?/;

/** The price table of a region and architecture. */
export function lambdaPrices(region: string, architecture: Architecture): PriceTable {
  return (REGIONAL[region] ?? STANDARD)[architecture];
}

/** The figures of the last REPORT line in a log text (a Tail log, base64-decoded), or undefined. */
export function parseReport(log: string): ReportFigures | undefined {
  const line = log.split('\n').findLast((l) => l.startsWith('REPORT RequestId: '));
  const m = line ? REPORT.exec(line) : null;
  if (!m) return undefined;
  return {
    requestId: m[1] as string,
    durationMs: Number(m[2]),
    billedDurationMs: Number(m[3]),
    memorySizeMb: Number(m[4]),
    maxMemoryUsedMb: Number(m[5]),
    initDurationMs: m[6] === undefined ? null : Number(m[6]),
  };
}

/** An invocation record priced from REPORT figures, for a job's cost report. */
export function recordFromReport(
  functionName: string,
  trigger: string,
  report: ReportFigures,
  prices: PriceTable,
  failed: boolean,
): InvocationRecord {
  const gbSeconds = (report.billedDurationMs / 1000) * (report.memorySizeMb / 1024);
  return {
    requestId: report.requestId,
    functionName,
    version: '$LATEST',
    trigger,
    invocationType: 'RequestResponse',
    startedAt: Date.now() - report.durationMs,
    durationMs: report.durationMs,
    billedDurationMs: report.billedDurationMs,
    initDurationMs: report.initDurationMs,
    memorySizeMb: report.memorySizeMb,
    maxMemoryUsedMb: report.maxMemoryUsedMb,
    outcome: failed ? 'unhandled' : 'success',
    gbSeconds,
    costUsd: gbSeconds * prices.perGbSecond + prices.perMillionRequests / 1_000_000,
    attempt: 1,
  };
}
