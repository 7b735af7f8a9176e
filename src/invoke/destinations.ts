import type { FailureCondition } from './types.js';

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

/** A message attribute a sender passes on (SQS MessageAttributes, SNS MessageAttributes). */
export interface SendAttribute {
  dataType: 'String' | 'Number';
  stringValue: string;
}

/**
 * Sends a record's JSON body to one destination (a queue, a topic …), with message attributes when
 * given (a function's dead-letter queue); throws when it cannot take it.
 */
export type DestinationSender = (
  arn: string,
  body: string,
  attributes?: Record<string, SendAttribute>,
) => Promise<void>;

/** Called, inside the transaction that drops it, for a record a sender failed to take for good. */
export type GiveUp = (arn: string, body: string, err: unknown) => void;

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (err instanceof SyntaxError) return text;
    throw err;
  }
}
