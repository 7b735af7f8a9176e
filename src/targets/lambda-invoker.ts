/**
 * The Invoker over AWS Lambda (or any Lambda-compatible endpoint): RequestResponse with LogType
 * Tail, the REPORT line of the tail priced into the invocation record, and 429s retried with
 * exponential backoff and full jitter.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { InvocationRecord, InvokeRequest, InvokeResult, Invoker, PriceTable } from '../invoke/index.js';
import { RequestTooLarge } from '../shared/errors.js';
import { targetError } from './aws-clients.js';
import { parseReport, recordFromReport } from './prices.js';
import type { TargetConfig } from './types.js';

/** Lambda's limit on a synchronous request or response payload. */
export const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
const BASE_DELAY_MS = 50;
const MAX_DELAY_MS = 5_000;
/** Throttled calls are retried this long before the 429 reaches the caller (a job then requeues the task). */
const THROTTLE_WAIT_MS = 60_000;

/** Invokes functions of one target. */
export class LambdaInvoker implements Invoker {
  readonly #client: LambdaClient;
  readonly #target: TargetConfig;
  readonly #prices: PriceTable;

  constructor(client: LambdaClient, target: TargetConfig, prices: PriceTable) {
    this.#client = client;
    this.#target = target;
    this.#prices = prices;
  }

  /**
   * Invokes synchronously (Event and DryRun as asked) and answers like the local invoker.
   * @throws RequestTooLarge over 6 MB; TooManyRequests when still throttled after a minute; the target errors of `targetError`.
   */
  async invoke(request: InvokeRequest): Promise<InvokeResult> {
    const payload = Buffer.from(request.payload ?? '{}');
    if (payload.length > SYNC_PAYLOAD_LIMIT)
      throw new RequestTooLarge(
        `the event for ${request.functionName} on target ${this.#target.name} is ${payload.length} bytes; Lambda takes at most ${SYNC_PAYLOAD_LIMIT}`,
      );
    const resource = `function ${request.functionName}`;
    const deadline = Date.now() + THROTTLE_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await this.#client.send(
          new InvokeCommand({
            FunctionName: request.functionName,
            Qualifier: request.qualifier,
            InvocationType: request.invocationType ?? 'RequestResponse',
            LogType: 'Tail',
            Payload: payload,
            ClientContext: request.clientContext,
          }),
        );
        const log = answer.LogResult ? Buffer.from(answer.LogResult, 'base64').toString('utf8') : '';
        const record = this.recordOf(request.functionName, request.trigger ?? 'api', log, !!answer.FunctionError);
        return {
          statusCode: (answer.StatusCode ?? 200) as InvokeResult['statusCode'],
          requestId: answer.$metadata.requestId ?? record?.requestId ?? '',
          executedVersion: answer.ExecutedVersion ?? '$LATEST',
          payload: Buffer.from(answer.Payload ?? new Uint8Array()),
          ...(answer.FunctionError ? { functionError: answer.FunctionError as 'Handled' | 'Unhandled' } : {}),
          ...(answer.LogResult ? { logResult: answer.LogResult } : {}),
          ...(record ? { record } : {}),
        };
      } catch (err) {
        const error = targetError(this.#target, resource, err);
        if (error.code !== 'TooManyRequestsException' || Date.now() >= deadline) throw error;
        const cap = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(attempt, 10));
        await new Promise((resolve) => setTimeout(resolve, Math.random() * cap));
      }
    }
  }

  /** The priced record of an invocation from its log tail's REPORT line, or undefined when the tail has none. */
  recordOf(functionName: string, trigger: string, log: string, failed: boolean): InvocationRecord | undefined {
    const report = parseReport(log);
    return report ? recordFromReport(functionName, trigger, report, this.#prices, failed) : undefined;
  }
}
