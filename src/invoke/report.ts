import { type FunctionErrorShape, RUN_ERRORS, type RunResult } from '../runtime/index.js';
import type { FunctionVersion } from './types.js';

/** Bytes of log returned by LogType Tail, as AWS. */
export const TAIL_BYTES = 4096;

/** `START RequestId: <id> Version: <v>` */
export function startLine(requestId: string, version: string): string {
  return `START RequestId: ${requestId} Version: ${version}`;
}

/** `END RequestId: <id>` */
export function endLine(requestId: string): string {
  return `END RequestId: ${requestId}`;
}

/** The REPORT line in AWS's tab-separated format; Init Duration only on a cold start. */
export function reportLine(requestId: string, fn: FunctionVersion, run: RunResult, billedMs: number): string {
  const line =
    `REPORT RequestId: ${requestId}\tDuration: ${run.durationMs.toFixed(2)} ms\tBilled Duration: ${billedMs} ms` +
    `\tMemory Size: ${fn.memoryMb} MB\tMax Memory Used: ${Math.round(run.maxMemoryUsedMb)} MB`;
  return run.initDurationMs !== null && run.initDurationMs !== undefined
    ? `${line}\tInit Duration: ${run.initDurationMs.toFixed(2)} ms`
    : line;
}

/** The line AWS appends after REPORT when an invocation times out. */
export function timeoutLine(requestId: string, timeoutS: number): string {
  return `${new Date().toISOString()} ${requestId} Task timed out after ${timeoutS.toFixed(2)} seconds`;
}

/** The error body a caller gets for a failed invocation (AWS Node shape: errorType, errorMessage, trace). */
export function errorPayload(
  requestId: string,
  fn: FunctionVersion,
  run: RunResult,
): { error: FunctionErrorShape; body: Buffer } {
  const error = run.error ?? defaultError(requestId, fn, run);
  if (error.document) return { error, body: error.document };
  const body: Record<string, unknown> = { errorType: error.errorType, errorMessage: error.errorMessage };
  if (error.stackTrace && error.stackTrace.length > 0) body.trace = error.stackTrace;
  return { error, body: Buffer.from(JSON.stringify(body)) };
}

/** Base64 of the last 4 KB of an invocation's log. */
export function tailOf(lines: string[]): string {
  const text = Buffer.from(`${lines.join('\n')}\n`);
  return text.subarray(Math.max(0, text.length - TAIL_BYTES)).toString('base64');
}

function defaultError(requestId: string, fn: FunctionVersion, run: RunResult): FunctionErrorShape {
  switch (run.outcome) {
    case 'timeout':
      return {
        errorType: RUN_ERRORS.Timedout,
        errorMessage: `RequestId: ${requestId} Error: Task timed out after ${fn.timeoutS.toFixed(2)} seconds`,
      };
    case 'oom':
      return {
        errorType: RUN_ERRORS.OutOfMemory,
        errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`,
      };
    default:
      return {
        errorType: RUN_ERRORS.Unknown,
        errorMessage: `RequestId: ${requestId} Error: the function failed without an error`,
      };
  }
}
