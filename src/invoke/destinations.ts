import { isFunctionArn } from '../shared/arn.js';
import type { QueueStore } from '../storage/queues/index.js';
import type { FailureCondition, InvokeRequest, InvokeResult } from './types.js';

/** The outcome of the last attempt, when there was one. */
export interface AttemptResponse {
  executedVersion: string;
  functionError?: 'Handled' | 'Unhandled';
  payload: Buffer;
}

/** The input of a destination record. */
export interface DestinationInput {
  requestId: string;
  functionArn: string; // qualified, as AWS reports it
  condition: 'Success' | FailureCondition;
  approximateInvokeCount: number;
  requestPayload: string;
  response?: AttemptResponse;
}

/** The record a destination receives, in AWS's shape. */
export function destinationRecord(input: DestinationInput): Record<string, unknown> {
  const record: Record<string, unknown> = {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: {
      requestId: input.requestId,
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.approximateInvokeCount,
    },
    requestPayload: parseOrText(input.requestPayload),
  };
  if (input.response) {
    const responseContext: Record<string, unknown> = {
      statusCode: 200,
      executedVersion: input.response.executedVersion,
    };
    if (input.response.functionError) responseContext.functionError = input.response.functionError;
    record.responseContext = responseContext;
    record.responsePayload = input.response.payload.length
      ? parseOrText(input.response.payload.toString('utf8'))
      : null;
  }
  return record;
}

/**
 * Sends a destination record: a function ARN gets an async invocation (trigger 'destination'),
 * a queue ARN a message through `queues.sendByArn`. Throws when the destination cannot take it.
 */
export async function deliver(
  arn: string,
  record: Record<string, unknown>,
  deps: { invoke(req: InvokeRequest): Promise<InvokeResult>; queues: Pick<QueueStore, 'sendByArn'> },
): Promise<void> {
  const body = JSON.stringify(record);
  if (isFunctionArn(arn)) {
    await deps.invoke({ functionName: arn, payload: body, invocationType: 'Event', trigger: 'destination' });
    return;
  }
  await deps.queues.sendByArn(arn, body);
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (err instanceof SyntaxError) return text;
    throw err;
  }
}
