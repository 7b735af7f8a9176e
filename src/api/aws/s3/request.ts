/** What each S3 operation receives. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../../../engine.js';
import type { SigningScope } from '../sigv4.js';

/** An authenticated S3 request with its bucket and key resolved. */
export interface S3Request {
  engine: Engine;
  req: IncomingMessage;
  res: ServerResponse;
  /** Query parameters of the request. */
  query: URLSearchParams;
  requestId: string;
  bucket: string;
  key: string;
  /** The verified signature (undefined for anonymous requests). */
  scope?: SigningScope;
}

/** Ends a response with no body. */
export function sendEmpty(res: ServerResponse, status = 200, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-length': '0' });
  res.end();
}
