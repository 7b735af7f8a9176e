import { type CancellationReason, TransactionCanceled } from '../../../storage/tables/index.js';
import { describeError, readJson, sendJson } from '../../http.js';
import type { AwsRequestContext } from '../index.js';
import { checkInput, ownOperation } from '../request-shape.js';
import { operations } from './operations.js';
import { dynamoDbFailures, operationShapes, streamOperationShapes } from './shapes.js';
import { streamOperations } from './streams.js';

const CONTENT_TYPE = 'application/x-amz-json-1.0';
const NAMESPACE = 'com.amazonaws.dynamodb.v20120810';

/**
 * The DynamoDB wire adapter (JSON 1.0, `X-Amz-Target: DynamoDB_20120810.<Action>`), also answering
 * DynamoDB Streams (`DynamoDBStreams_20120810.<Action>`). Errors are
 * `{"__type": "com.amazonaws.dynamodb.v20120810#<code>", "message"}` with status 400.
 */
export async function handleDynamoDb({ engine, req, res, requestId }: AwsRequestContext): Promise<void> {
  const headers = { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId };
  const [service = '', action = ''] = String(req.headers['x-amz-target']).split('.');
  const streams = service.startsWith('DynamoDBStreams');
  let input: Record<string, unknown> = {};
  try {
    const operation = streams ? ownOperation(streamOperations, action) : ownOperation(operations, action);
    if (!operation) {
      sendJson(
        res,
        400,
        { __type: `${NAMESPACE}#UnknownOperationException`, message: `Unknown operation ${action}` },
        headers,
      );
      return;
    }
    const shape = ownOperation(streams ? streamOperationShapes : operationShapes, action) ?? {};
    input = checkInput(await readJson(req), shape, dynamoDbFailures);
    sendJson(res, 200, operation(engine, input, Date.now()), headers);
  } catch (err) {
    const { status, code, message } = describeError(err);
    if (status >= 500) engine.context.log.error('dynamodb request failed', { err, action });
    const item = (err as { item?: unknown }).item;
    sendJson(
      res,
      status >= 500 ? 500 : 400,
      {
        __type: `${NAMESPACE}#${code}`,
        message,
        ...(item && input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? { Item: item } : {}),
        ...(err instanceof TransactionCanceled ? { CancellationReasons: err.reasons.map(wireReason) } : {}),
      },
      headers,
    );
  }
}

/** A cancellation reason as AWS sends it: `{ Code, Message?, Item? }`. */
function wireReason(reason: CancellationReason): Record<string, unknown> {
  return {
    Code: reason.code,
    ...(reason.message ? { Message: reason.message } : {}),
    ...(reason.item ? { Item: reason.item } : {}),
  };
}
