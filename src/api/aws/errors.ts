/**
 * Errors shared by the AWS wire adapters (signatures, request bodies, iterators) and the answer of
 * the AWS JSON protocols (`__type`) to a request refused before it reaches its adapter.
 */
import type { ServerResponse } from 'node:http';
import { LambdataError } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { describeError, sendJson } from '../http.js';

/** The names JSON-protocol services give signature failures, by the signature verifier's code. */
export const AUTH_ERROR_TYPES: Readonly<Record<string, string>> = {
  SignatureDoesNotMatch: 'InvalidSignatureException',
  InvalidAccessKeyId: 'UnrecognizedClientException',
  AccessDenied: 'MissingAuthenticationTokenException',
  AuthorizationHeaderMalformed: 'IncompleteSignatureException',
};

const log = createLogger('aws');

/** S3/AWS authentication failures (403), with the AWS error code. */
export class SignatureError extends LambdataError {
  constructor(
    code: 'SignatureDoesNotMatch' | 'InvalidAccessKeyId' | 'AccessDenied' | 'AuthorizationHeaderMalformed',
    message: string,
  ) {
    super(code, message, code === 'AuthorizationHeaderMalformed' ? 400 : 403);
  }
}

/** A presigned URL whose query parameters S3 refuses, such as an expiry past seven days (400). */
export class PresignedQueryError extends LambdataError {
  constructor(message: string) {
    super('AuthorizationQueryParametersError', message, 400);
  }
}

/** A request URI whose percent-encoding does not decode. */
export class InvalidUri extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidURI', message, 400, options);
  }
}

/** A body that does not parse, or a member of the wrong type (Kinesis, DynamoDB). */
export class SerializationFailed extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('SerializationException', message, 400, options);
  }
}

/** A required member is missing (Kinesis ValidationException). */
export class ValidationFailed extends LambdataError {
  constructor(message: string) {
    super('ValidationException', message, 400);
  }
}

/** A shard iterator older than its time to live (Kinesis, DynamoDB Streams). */
export class ExpiredIterator extends LambdataError {
  constructor(message: string) {
    super('ExpiredIteratorException', message, 400);
  }
}

/**
 * Sends an error in the shape the JSON and REST protocols share: x-amzn-ErrorType plus {__type, message},
 * and logs every answer of 500 or more.
 */
export function sendAwsJsonError(res: ServerResponse, err: unknown, requestId: string): void {
  const { status, code, message } = describeError(err);
  if (status >= 500) log.error('aws request failed', { err });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const type = AUTH_ERROR_TYPES[code] ?? code;
  sendJson(
    res,
    status,
    { __type: type, Type: 'User', message },
    { 'x-amzn-errortype': type, 'x-amzn-requestid': requestId },
  );
}
