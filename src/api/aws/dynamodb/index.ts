import { sendJson } from '../../http.js';
import type { AwsRequestContext } from '../index.js';

/** SHELL — DynamoDb wire adapter. */
export async function handleDynamoDb({ res }: AwsRequestContext): Promise<void> {
  sendJson(res, 501, { __type: 'NotImplemented', message: 'DynamoDb API not implemented yet' });
}
