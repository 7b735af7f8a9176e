/** S3 error answers: `<Error><Code/><Message/><Resource/><RequestId/></Error>` with the error's status. */
import type { ServerResponse } from 'node:http';
import { LambdataError } from '../../../shared/errors.js';
import { createLogger } from '../../../shared/log.js';
import { buildXml } from './xml.js';

/** An S3-specific error condition (NoSuchUpload, InvalidRange, BadDigest, …) with its status. */
export class S3Error extends LambdataError {
  constructor(code: string, message: string, status = 400, options?: ErrorOptions) {
    super(code, message, status, options);
  }
}

const log = createLogger('s3');

/** Maps engine error codes that differ from S3's to S3's. */
const CODE_MAP = {
  ResourceNotFoundException: 'NoSuchKey',
  InvalidParameterValueException: 'InvalidArgument',
  RequestTooLargeException: 'EntityTooLarge',
  AccessDeniedException: 'AccessDenied',
  ResourceConflictException: 'OperationAborted',
} as const;

/** Sends any thrown value as an S3 error document (HEAD answers carry no body). */
export function sendS3Error(
  res: ServerResponse,
  err: unknown,
  resource: string,
  requestId: string,
  method: string,
): void {
  const { status, code, message } = s3ErrorOf(err);
  if (status >= 500) log.error('s3 request failed', { err, resource });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = { 'x-amz-request-id': requestId, 'x-amz-id-2': requestId };
  if (method === 'HEAD' || status === 304) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const body = buildXml({ Error: { Code: code, Message: message, Resource: resource, RequestId: requestId } }, false);
  res.writeHead(status, { ...headers, 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function s3ErrorOf(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof LambdataError) {
    const code = (CODE_MAP as Record<string, string>)[err.code] ?? err.code;
    return { status: err.status, code, message: err.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, code: 'InternalError', message };
}
