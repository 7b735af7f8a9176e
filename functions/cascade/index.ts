/**
 * cascade: the fan-out multiplier. Invokes `functionName` once per task, `parallelism` at a time,
 * through the Lambda Invoke API (throttles retried with backoff), and answers every child's
 * outcome in task order, so the coordinator commits each task on its own. Each outcome carries the
 * child's REPORT line (from its Tail log), so a coordinator that cannot see the invocations (a job
 * on AWS Lambda) still bills them from AWS's own figures. An answer that would pass Lambda's 6 MB
 * response limit has its largest results written to the job's result store and answered as references.
 */

import { invoke } from '../lib/lambda-client.js';
import { INLINE_RESULT_BYTES, storeResult } from '../lib/large-result.js';
import type { CascadeEvent, CascadeOutcome, CascadeResult } from '../lib/protocol.js';

/** Lambda handler. */
export async function handler(event: CascadeEvent): Promise<CascadeResult> {
  const outcomes: CascadeOutcome[] = new Array(event.tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < event.tasks.length) {
      const index = next++;
      const task = event.tasks[index] as CascadeEvent['tasks'][number];
      const started = Date.now();
      try {
        const answer = await invoke(event.functionName, task.payload, { logType: 'Tail' });
        const parsed = parse(answer.payload);
        const report = reportLine(answer.logResult);
        outcomes[index] = answer.functionError
          ? {
              taskId: task.taskId,
              ok: false,
              error: asError(parsed),
              durationMs: Date.now() - started,
              requestId: answer.requestId,
              ...(report ? { report } : {}),
            }
          : {
              taskId: task.taskId,
              ok: true,
              result: parsed,
              durationMs: Date.now() - started,
              requestId: answer.requestId,
              ...(report ? { report } : {}),
            };
      } catch (err) {
        const e = err as Error & { code?: string };
        outcomes[index] = {
          taskId: task.taskId,
          ok: false,
          error: { errorType: e.code ?? e.name, errorMessage: e.message },
          durationMs: Date.now() - started,
        };
      }
    }
  };
  const width = Math.max(1, Math.min(event.parallelism ?? event.tasks.length, event.tasks.length));
  await Promise.all(Array.from({ length: width }, worker));
  await fitResponse(event, outcomes);
  return { outcomes };
}

/** Stores the largest results (as references) until the answer fits the response limit. */
async function fitResponse(event: CascadeEvent, outcomes: CascadeOutcome[]): Promise<void> {
  const store = event.results;
  if (!store) return;
  const sized = outcomes.map((outcome, index) => ({ index, text: JSON.stringify(outcome.result ?? null) }));
  let total = sized.reduce((sum, s) => sum + Buffer.byteLength(s.text), 0);
  sized.sort((a, b) => b.text.length - a.text.length);
  for (const { index, text } of sized) {
    if (total <= INLINE_RESULT_BYTES) return;
    const outcome = outcomes[index] as CascadeOutcome;
    const task = event.tasks[index] as CascadeEvent['tasks'][number];
    if (!outcome.ok) continue;
    outcome.result = await storeResult(text, store, task.taskId, task.attempt ?? 1);
    total -= Buffer.byteLength(text);
  }
}

/** The last REPORT line of a base64 Tail log, if any. */
function reportLine(logResult: string | undefined): string | undefined {
  if (!logResult) return undefined;
  return Buffer.from(logResult, 'base64')
    .toString('utf8')
    .split('\n')
    .findLast((line) => line.startsWith('REPORT RequestId: '));
}

function parse(payload: Buffer): unknown {
  const text = payload.toString('utf8');
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function asError(value: unknown): { errorType: string; errorMessage: string } {
  const v = (value ?? {}) as { errorType?: string; errorMessage?: string };
  return { errorType: v.errorType ?? 'Error', errorMessage: v.errorMessage ?? JSON.stringify(value) };
}
