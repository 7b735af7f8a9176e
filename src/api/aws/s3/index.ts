import { sendJson } from '../../http.js';
import type { AwsRequestContext } from '../index.js';

/** SHELL — S3 wire adapter. */
export async function handleS3({ res }: AwsRequestContext): Promise<void> {
  sendJson(res, 501, { __type: 'NotImplemented', message: 'S3 API not implemented yet' });
}
