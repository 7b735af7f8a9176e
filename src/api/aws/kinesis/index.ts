import { sendJson } from '../../http.js';
import type { AwsRequestContext } from '../index.js';

/** SHELL — Kinesis wire adapter. */
export async function handleKinesis({ res }: AwsRequestContext): Promise<void> {
  sendJson(res, 501, { __type: 'NotImplemented', message: 'Kinesis API not implemented yet' });
}
