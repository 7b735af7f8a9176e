/** Types shared by the function registry, the invoker and everything that triggers invocations. */

/** How a function is invoked (Lambda's X-Amz-Invocation-Type). */
export const INVOCATION_TYPES = ['RequestResponse', 'Event', 'DryRun'] as const;
export type InvocationType = (typeof INVOCATION_TYPES)[number];

/** True for one of Lambda's invocation types. */
export function isInvocationType(value: unknown): value is InvocationType {
  return (INVOCATION_TYPES as readonly unknown[]).includes(value);
}

export const OUTCOMES = {
  success: 'success',
  handled: 'handled',
  unhandled: 'unhandled',
  timeout: 'timeout',
  oom: 'oom',
  throttled: 'throttled',
} as const;
export type Outcome = (typeof OUTCOMES)[keyof typeof OUTCOMES];

/** One deployed version of a function ($LATEST or a published number), as stored. */
export interface FunctionVersion {
  name: string;
  version: string; // '$LATEST' | '1' | '2' …
  arn: string;
  handler: string; // 'path/file.export'
  runtime: string; // 'nodejs' | 'nodejs20.x' …
  memoryMb: number;
  timeoutS: number;
  ephemeralStorageMb: number;
  environment: Record<string, string>;
  description: string;
  codeSha256: string; // base64 sha256 of the package, as AWS reports it
  codeSize: number;
  /** Absolute path of the unpacked (and, for TypeScript, bundled) package root. */
  codeDir: string;
  lastModified: string; // ISO 8601
  revisionId: string;
  /** DeadLetterConfig.TargetArn: the queue or topic a discarded async event goes to. */
  deadLetterTargetArn?: string;
}

/** Per-function settings that are not part of a version. */
export interface FunctionSettings {
  reservedConcurrency: number | null;
  eventInvokeConfig: EventInvokeConfig;
}

export interface EventInvokeConfig {
  maximumRetryAttempts: number; // 0–2, default 2
  maximumEventAgeInSeconds: number; // 60–21600, default 21600
  onSuccess?: string; // destination ARN (function, or queue once queues exist)
  onFailure?: string;
}

/** A request to invoke a function, from any trigger. */
export interface InvokeRequest {
  functionName: string; // name or ARN, optionally with :qualifier
  qualifier?: string;
  payload?: Buffer | string; // JSON text; empty means {}
  invocationType?: InvocationType;
  logType?: 'None' | 'Tail';
  /** What caused it: 'api', 's3', 'kinesis', 'sqs', 'dynamodb', 'schedule', 'url', 'job:<id>', 'destination' … */
  trigger?: string;
  clientContext?: string; // base64 JSON, as X-Amz-Client-Context
}

/** What an invocation returned to its caller. */
export interface InvokeResult {
  statusCode: 200 | 202 | 204;
  requestId: string;
  executedVersion: string;
  payload: Buffer;
  functionError?: 'Handled' | 'Unhandled';
  /** Base64 of the last 4 KB of the log, when logType was Tail. */
  logResult?: string;
  record?: InvocationRecord;
}

/** The single record every invocation yields; logs, billing, dashboard and jobs read it. */
export interface InvocationRecord {
  requestId: string;
  functionName: string;
  version: string;
  trigger: string;
  invocationType: InvocationType;
  startedAt: number; // epoch ms
  durationMs: number;
  billedDurationMs: number;
  initDurationMs: number | null;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  outcome: Outcome;
  errorType?: string;
  errorMessage?: string;
  gbSeconds: number;
  costUsd: number;
  attempt: number; // 1 for the first try of an async event
}

/** Price table for billing (defaults: AWS x86). */
export interface PriceTable {
  perGbSecond: number;
  perMillionRequests: number;
  /** 1 (AWS today) or 100 (the old rounding). */
  granularityMs: number;
}

export const DEFAULT_PRICES: PriceTable = {
  perGbSecond: 0.0000166667,
  perMillionRequests: 0.2,
  granularityMs: 1,
};

/** Invokes functions; the local engine and AWS Lambda both implement it (see DESIGN.md, scale-out). */
export interface Invoker {
  invoke(request: InvokeRequest): Promise<InvokeResult>;
}

/** Why an async event ended without success, as AWS names it in destination records. */
export type FailureCondition = 'RetriesExhausted' | 'EventAgeExceeded';

/** An async event that failed for good and had no on-failure destination; it can be replayed. */
export interface DeadLetter {
  id: string;
  requestId: string;
  functionName: string;
  qualifier: string;
  trigger: string;
  payload: string; // the event, JSON text
  condition: FailureCondition;
  attempts: number;
  errorType?: string;
  errorMessage?: string;
  enqueuedAt: number; // epoch ms of the original event
  failedAt: number; // epoch ms
}

/** One line of a function's log stream. */
export interface LogLine {
  functionName: string;
  requestId: string;
  time: number; // epoch ms
  line: string;
}

/** Billing totals over a set of invocations. */
export interface BillingSummary {
  invocations: number;
  billedMs: number;
  gbSeconds: number;
  requestCostUsd: number;
  computeCostUsd: number;
  totalCostUsd: number;
  byFunction: Array<{
    functionName: string;
    invocations: number;
    billedMs: number;
    gbSeconds: number;
    totalCostUsd: number;
  }>;
}
