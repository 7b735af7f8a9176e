/** S3 error answers: `<Error><Code/><Message/><Resource/><RequestId/></Error>` with the error's status. */
import type { ServerResponse } from 'node:http';
import { LambdataError } from '../../../shared/errors.js';
import { createLogger } from '../../../shared/log.js';
import { buildXml } from './xml.js';

/**
 * The errors the S3 adapter raises itself, by code, with their status. The store's own conditions
 * (NoSuchKey, InvalidRange, …) are classes in storage/objects; engine codes are renamed by CODE_MAP.
 */
export const S3_ERRORS = {
  AccessDenied: 403,
  BadDigest: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidRequest: 400,
  InvalidURI: 400,
  MalformedXML: 400,
  MaxMessageLengthExceeded: 400,
  MethodNotAllowed: 405,
  NoSuchBucketPolicy: 404,
  NoSuchCORSConfiguration: 404,
  NoSuchLifecycleConfiguration: 404,
  NoSuchTagSet: 404,
  NoSuchWebsiteConfiguration: 404,
  NotImplemented: 501,
  PreconditionFailed: 412,
  SignatureDoesNotMatch: 403,
  SlowDown: 503,
  XAmzContentSHA256Mismatch: 400,
} as const;

/** A code of S3_ERRORS. */
export type S3Code = keyof typeof S3_ERRORS;

/** An error condition of the S3 wire protocol; its status is the catalogue's. */
export class S3Error extends LambdataError {
  constructor(code: S3Code, message: string, options?: ErrorOptions) {
    super(code, message, S3_ERRORS[code], options);
  }
}

/** S3's throttling answer (503 SlowDown), as a client must retry it. */
export function slowDown(message: string): S3Error {
  return new S3Error('SlowDown', message);
}

const log = createLogger('s3');

/** Maps engine error codes that differ from S3's to S3's (the status stays the engine's). */
export const CODE_MAP: Readonly<Record<string, string>> = {
  ResourceNotFoundException: 'NoSuchKey',
  InvalidParameterValueException: 'InvalidArgument',
  RequestTooLargeException: 'EntityTooLarge',
  AccessDeniedException: 'AccessDenied',
  ResourceConflictException: 'OperationAborted',
};

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
  const headers: Record<string, string> = {
    'x-amz-request-id': requestId,
    'x-amz-id-2': requestId,
    ...deleteMarkerHeaders(err),
  };
  if (method === 'HEAD' || status === 304) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const body = buildXml({ Error: { Code: code, Message: message, Resource: resource, RequestId: requestId } }, false);
  res.writeHead(status, { ...headers, 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A read that met a delete marker names it, as S3 does: `x-amz-delete-marker` and its version id. */
function deleteMarkerHeaders(err: unknown): Record<string, string> {
  const marker = err as { deleteMarker?: boolean; versionId?: string };
  if (!(err instanceof LambdataError) || marker.deleteMarker !== true) return {};
  return { 'x-amz-delete-marker': 'true', ...(marker.versionId ? { 'x-amz-version-id': marker.versionId } : {}) };
}

function s3ErrorOf(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof LambdataError) {
    const code = CODE_MAP[err.code] ?? err.code;
    return { status: err.status, code, message: err.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, code: 'InternalError', message };
}
