/** Error answers of the JSON and REST protocols (Lambda, Kinesis, DynamoDB, SQS). */
import type { ServerResponse } from 'node:http';
import { describeError, sendJson } from '../http.js';

// The names JSON-protocol services use for signature failures.
const AUTH_ERROR_TYPES: Record<string, string> = {
  SignatureDoesNotMatch: 'InvalidSignatureException',
  InvalidAccessKeyId: 'UnrecognizedClientException',
  AccessDenied: 'MissingAuthenticationTokenException',
  AuthorizationHeaderMalformed: 'IncompleteSignatureException',
};

/** Sends an error in the shape the JSON and REST protocols share: x-amzn-ErrorType plus {__type, message}. */
export function sendAwsJsonError(res: ServerResponse, err: unknown, requestId: string): void {
  const { status, code, message } = describeError(err);
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
