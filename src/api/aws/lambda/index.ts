import { sendJson } from '../../http.js';
import type { AwsRequestContext } from '../index.js';

/** True for the Lambda REST API's paths (/2015-03-31/functions…, event-source-mappings, …). */
export function isLambdaPath(path: string): boolean {
  return /^\/(2015-03-31|2016-08-19|2017-03-31|2017-10-31|2018-10-31|2019-09-25|2019-09-30|2020-04-22|2020-06-30|2021-10-31)\//.test(
    path,
  );
}

/** SHELL — Lambda wire adapter. */
export async function handleLambda({ res }: AwsRequestContext): Promise<void> {
  sendJson(res, 501, { Type: 'User', message: 'Lambda API not implemented yet' });
}
