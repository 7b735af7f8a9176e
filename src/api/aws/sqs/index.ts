import type { IncomingMessage } from 'node:http';
import { sendJson } from '../../http.js';
import type { AwsRequestContext } from '../index.js';

/** SHELL — SQS wire adapter. */
export async function handleSqs({ res }: AwsRequestContext): Promise<void> {
  sendJson(res, 501, { __type: 'NotImplemented', message: 'SQS API not implemented yet' });
}

/** True for the SQS query protocol (form-encoded `Action=` POSTs to `/` or a queue URL). */
export function isSqsQueryRequest(req: IncomingMessage, _url: URL): boolean {
  return (
    req.method === 'POST' && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
  );
}
