import { RUN_ERRORS, type RunResult, type Runtime } from '../runtime/index.js';
import type { Logger } from '../shared/log.js';
import type { Billing } from './billing.js';
import { PAYLOAD_LIMITS } from './limits.js';
import type { LogStore } from './logs.js';
import { endLine, errorPayload, reportLine, startLine, timeoutLine } from './report.js';
import { type FunctionVersion, type InvocationRecord, type InvocationType, OUTCOMES } from './types.js';

/** What one run needs from the engine. */
export interface ExecutionDeps {
  runtime: Runtime;
  logs: LogStore;
  billing: Billing;
  log: Logger;
}

/** One attempt of one invocation. */
export interface ExecutionRequest {
  fn: FunctionVersion;
  requestId: string;
  payload: Buffer;
  trigger: string;
  invocationType: InvocationType;
  attempt: number;
  clientContext?: string;
}

/** What the attempt produced: the caller's payload, the record, and its log lines (for LogType Tail). */
export interface Execution {
  payload: Buffer;
  functionError?: 'Handled' | 'Unhandled';
  record: InvocationRecord;
  lines: string[];
}

/** Largest response a function may return, as AWS. */

/**
 * Runs one attempt in the runtime and writes START, the function's lines (live), END, REPORT and,
 * on timeout, the "Task timed out" line; bills it and builds its record. Never throws for function
 * failures: a runtime failure becomes an Unhandled error.
 */
export async function execute(deps: ExecutionDeps, req: ExecutionRequest): Promise<Execution> {
  const { fn, requestId } = req;
  const lines: string[] = [];
  const emit = (line: string) => {
    lines.push(line);
    deps.logs.appendLine(fn.name, requestId, line);
  };
  emit(startLine(requestId, fn.version));
  const startedAt = Date.now();
  const run = await runSafely(deps, req, emit, startedAt);
  const billedMs = deps.billing.billedDuration(run.durationMs);
  emit(endLine(requestId));
  emit(reportLine(requestId, fn, run, billedMs));
  if (run.outcome === 'timeout') emit(timeoutLine(requestId, fn.timeoutS));

  let payload = run.payload ?? Buffer.from('null');
  let functionError: Execution['functionError'];
  let outcome: InvocationRecord['outcome'] = run.outcome;
  let errorType: string | undefined;
  let errorMessage: string | undefined;
  if (run.outcome !== 'success') {
    const { error, body } = errorPayload(requestId, fn, run);
    payload = body;
    // AWS's Node.js runtimes report every function error, thrown or passed to a callback, as
    // Unhandled; the record's outcome still tells a handler's own error from a crash.
    functionError = 'Unhandled';
    errorType = error.errorType;
    errorMessage = error.errorMessage;
  } else if (payload.length > PAYLOAD_LIMITS.responseBytes) {
    errorType = RUN_ERRORS.ResponseSizeTooLarge;
    errorMessage = `Response payload size exceeded maximum allowed payload size (${PAYLOAD_LIMITS.responseBytes} bytes).`;
    payload = Buffer.from(JSON.stringify({ errorType, errorMessage }));
    functionError = 'Unhandled';
    outcome = OUTCOMES.unhandled;
  }
  const { gbSeconds, costUsd } = deps.billing.cost(fn.memoryMb, billedMs);
  const record: InvocationRecord = {
    requestId,
    functionName: fn.name,
    version: fn.version,
    trigger: req.trigger,
    invocationType: req.invocationType,
    startedAt,
    durationMs: run.durationMs,
    billedDurationMs: billedMs,
    initDurationMs: run.initDurationMs,
    memorySizeMb: fn.memoryMb,
    maxMemoryUsedMb: Math.round(run.maxMemoryUsedMb),
    outcome,
    gbSeconds,
    costUsd,
    attempt: req.attempt,
  };
  if (errorType !== undefined) record.errorType = errorType;
  if (errorMessage !== undefined) record.errorMessage = errorMessage;
  const execution: Execution = { payload, record, lines };
  if (functionError) execution.functionError = functionError;
  return execution;
}

async function runSafely(
  deps: ExecutionDeps,
  req: ExecutionRequest,
  onLog: (line: string) => void,
  startedAt: number,
): Promise<RunResult> {
  try {
    const runRequest: Parameters<Runtime['run']>[0] = {
      fn: req.fn,
      requestId: req.requestId,
      payload: req.payload,
      invokedFunctionArn: req.fn.arn,
      onLog,
    };
    if (req.clientContext !== undefined) runRequest.clientContext = req.clientContext;
    return await deps.runtime.run(runRequest);
  } catch (err) {
    deps.log.error('runtime failed to run invocation', { requestId: req.requestId, functionName: req.fn.name, err });
    const code = (err as { code?: unknown }).code;
    return {
      outcome: 'unhandled',
      error: {
        errorType: typeof code === 'string' ? code : RUN_ERRORS.Unknown,
        errorMessage: err instanceof Error ? err.message : String(err),
      },
      durationMs: Date.now() - startedAt,
      initDurationMs: null,
      maxMemoryUsedMb: 0,
      coldStart: false,
    };
  }
}
