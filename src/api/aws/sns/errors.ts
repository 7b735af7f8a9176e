/**
 * SNS wire errors: the adapter's own conditions, SNS's names for the engine's and the signature
 * verifier's codes, and the one way to answer an error (the query protocol's XML).
 */
import type { ServerResponse } from 'node:http';
import { LambdataError } from '../../../shared/errors.js';
import { createLogger } from '../../../shared/log.js';
import { TopicError } from '../../../storage/topics/index.js';
import { errorToXml } from './query.js';

/** SNS's names for codes raised outside the topics part (signatures, engine-wide errors), with their status. */
export const SNS_CODES: Readonly<Record<string, string>> = {
  SignatureDoesNotMatch: 'SignatureDoesNotMatch',
  InvalidAccessKeyId: 'InvalidClientTokenId',
  AccessDenied: 'AuthorizationError',
  AccessDeniedException: 'AuthorizationError',
  AuthorizationHeaderMalformed: 'IncompleteSignature',
  ResourceNotFoundException: 'NotFound',
  InvalidParameterValueException: 'InvalidParameter',
};

const log = createLogger('sns');

/** An action SNS does not have, or lambdata does not serve. */
export class InvalidAction extends TopicError {
  constructor(action: string) {
    super('InvalidAction', `The action ${action} is not valid for this web service.`, 400);
  }
}

/** A batch without entries. */
export class EmptyBatchRequest extends TopicError {
  constructor() {
    super('EmptyBatchRequest', "The batch request doesn't contain any entries.", 400);
  }
}

/** A batch over ten entries. */
export class TooManyEntriesInBatchRequest extends TopicError {
  constructor() {
    super('TooManyEntriesInBatchRequest', 'The batch request contains more entries than permissible.', 400);
  }
}

/** A batch naming one entry id twice. */
export class BatchEntryIdsNotDistinct extends TopicError {
  constructor() {
    super('BatchEntryIdsNotDistinct', 'Two or more batch entries in the request have the same Id.', 400);
  }
}

/** Answers an error in SNS's XML shape, and logs every answer of 500 or more. */
export function sendSnsError(res: ServerResponse, err: unknown, requestId: string): void {
  const known = err instanceof LambdataError;
  const status = known ? (err.code === 'AccessDeniedException' ? 403 : err.status) : 500;
  if (status >= 500) log.error('sns request failed', { err });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const code = known ? (SNS_CODES[err.code] ?? err.code) : 'InternalError';
  const message = known ? err.message : 'Internal error';
  sendXml(res, status, errorToXml(status >= 500 ? 'Receiver' : 'Sender', code, message, requestId), requestId);
}

/** Sends an SNS XML document. */
export function sendXml(res: ServerResponse, status: number, xml: string, requestId: string): void {
  const text = `<?xml version="1.0"?>\n${xml}`;
  res.writeHead(status, {
    'content-type': 'text/xml',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  });
  res.end(text);
}
