import type { ServerResponse } from 'node:http';
import { LambdataError } from '../../../shared/errors.js';
import { createLogger } from '../../../shared/log.js';
import { describeError } from '../../http.js';

const log = createLogger('lambda-api');

/**
 * Sends any thrown value in the Lambda REST API's error shape: the error's status, header
 * `x-amzn-ErrorType: <code>` and body `{"Type":"User"|"Service","message":…}`. Throttles add
 * `Reason` and a `Retry-After` header (the SDK's `retryAfterSeconds`).
 */
export function sendLambdaError(res: ServerResponse, err: unknown, requestId: string): void {
  const { status, code, message } = describeError(err);
  if (status >= 500) log.error('lambda request failed', { err });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: Record<string, unknown> = { Type: status >= 500 ? 'Service' : 'User', message };
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-amzn-ErrorType': code,
    'x-amzn-RequestId': requestId,
  };
  // ResourceNotFoundException and ServiceException model the text as `Message`; send both spellings.
  if (code === 'ResourceNotFoundException' || code === 'ServiceException') body.Message = message;
  if (code === 'TooManyRequestsException') {
    body.Reason = (err as { reason?: string }).reason ?? 'ConcurrentInvocationLimitExceeded';
    headers['Retry-After'] = '1';
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** A RevisionId that is not the function's latest (412 PreconditionFailedException). */
export class RevisionMismatch extends LambdataError {
  constructor() {
    super(
      'PreconditionFailedException',
      'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      412,
    );
  }
}

/** A Lambda API path or method this adapter does not serve (404 UnknownOperationException). */
export class UnknownOperation extends LambdataError {
  constructor(method: string, path: string) {
    super('UnknownOperationException', `Unknown operation ${method} ${path}`, 404);
  }
}
