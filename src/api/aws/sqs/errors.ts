/**
 * SQS wire errors: the adapter's own conditions, the older codes the query protocol (and the JSON
 * protocol's `x-amzn-query-error` header) gives some of them, and the one way to answer an error.
 */
import type { ServerResponse } from 'node:http';
import { LambdataError } from '../../../shared/errors.js';
import { createLogger } from '../../../shared/log.js';
import { QueueError } from '../../../storage/queues/index.js';
import { sendJson } from '../../http.js';
import { errorToXml } from './query.js';

/** Content type of the SQS JSON protocol. */
export const JSON_TYPE = 'application/x-amz-json-1.0';

/** Query-protocol codes of the errors whose JSON shape name differs, by that name. */
export const QUERY_CODES: Readonly<Record<string, string>> = {
  QueueDoesNotExist: 'AWS.SimpleQueueService.NonExistentQueue',
  QueueNameExists: 'QueueAlreadyExists',
  MessageNotInflight: 'AWS.SimpleQueueService.MessageNotInflight',
  EmptyBatchRequest: 'AWS.SimpleQueueService.EmptyBatchRequest',
  TooManyEntriesInBatchRequest: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
  BatchEntryIdsNotDistinct: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
  UnsupportedOperation: 'InvalidAction',
};

/** The codes SQS gives signature failures, by the signature verifier's code. */
export const AUTH_CODES: Readonly<Record<string, string>> = {
  SignatureDoesNotMatch: 'SignatureDoesNotMatch',
  InvalidAccessKeyId: 'InvalidClientTokenId',
  AccessDenied: 'MissingAuthenticationToken',
  AuthorizationHeaderMalformed: 'IncompleteSignature',
};

const log = createLogger('sqs');

/** An action this endpoint does not serve (query protocol: InvalidAction). */
export class UnsupportedOperation extends QueueError {
  constructor(action: string) {
    super('UnsupportedOperation', `The action ${action} is not valid for this endpoint.`);
  }
}

/** A batch request without entries. */
export class EmptyBatchRequest extends QueueError {
  constructor() {
    super('EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
  }
}

/** A batch request with more entries than SQS allows. */
export class TooManyEntriesInBatchRequest extends QueueError {
  constructor(max: number, count: number) {
    super('TooManyEntriesInBatchRequest', `Maximum number of entries per request are ${max}. You have sent ${count}.`);
  }
}

/** A batch request naming one entry id twice. */
export class BatchEntryIdsNotDistinct extends QueueError {
  constructor() {
    super('BatchEntryIdsNotDistinct', 'Id values must be unique within a batch request.');
  }
}

/** The code the query protocol gives an error of `code` (its JSON shape name). */
export function queryCodeOf(code: string): string {
  return QUERY_CODES[code] ?? code;
}

/**
 * Answers an error in the SQS JSON protocol's shape (`json`) or the query protocol's XML, and logs
 * every answer of 500 or more (non-LambdataErrors answer 500 InternalError).
 */
export function sendSqsError(res: ServerResponse, err: unknown, json: boolean, requestId: string): void {
  const known = err instanceof LambdataError;
  const status = known ? err.status : 500;
  if (status >= 500) log.error('sqs request failed', { err });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const code = known ? (AUTH_CODES[err.code] ?? err.code) : 'InternalError';
  const queryCode = queryCodeOf(code);
  const message = err instanceof Error ? err.message : String(err);
  const type = status >= 500 ? 'Receiver' : 'Sender';
  if (json) {
    sendJson(
      res,
      status,
      { __type: `com.amazonaws.sqs#${code}`, message },
      {
        'content-type': JSON_TYPE,
        'x-amzn-query-error': `${queryCode};${type}`,
        'x-amzn-requestid': requestId,
      },
    );
  } else {
    sendXml(res, status, errorToXml(type, queryCode, message, requestId), requestId);
  }
}

/** Sends an SQS query-protocol XML document. */
export function sendXml(res: ServerResponse, status: number, xml: string, requestId: string): void {
  const text = `<?xml version="1.0"?>${xml}`;
  res.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  });
  res.end(text);
}
