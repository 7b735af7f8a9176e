import { sendJson } from '../../http.js';
import type { AwsRequestContext } from '../index.js';

/** SHELL — handles this part of the Lambda REST API; the Lambda adapter delegates to it. */
export async function handle({ res }: AwsRequestContext): Promise<void> {
  sendJson(res, 501, { Type: 'User', message: 'Not implemented yet' });
}
