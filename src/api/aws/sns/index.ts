import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { readBody } from '../../http.js';
import type { AwsRequestContext } from '../index.js';
import { verifySigV4 } from '../sigv4.js';
import { InvalidAction, sendSnsError, sendXml } from './errors.js';
import { OPERATIONS } from './operations.js';
import { queryToInput, resultToXml } from './query.js';

/** Actions an endpoint reaches through the links SNS sends it (SubscribeURL, UnsubscribeURL), unsigned as on AWS. */
const LINK_ACTIONS = new Set(['ConfirmSubscription', 'Unsubscribe']);
const SNS_SCOPE = /Credential=[^,\s]+\/\d{8}\/[^/]+\/sns\/aws4_request/;

/**
 * SNS wire adapter: the query protocol (form-encoded `Action=…&Version=2010-03-31`, XML answers) that
 * the AWS CLI v1/v2 and SDK v3 (`@aws-sdk/client-sns`) speak.
 */
export async function handleSns({ engine, req, res, url, requestId, anonymous }: AwsRequestContext): Promise<void> {
  try {
    const body = await readBody(req);
    const params = new URLSearchParams(body.toString('utf8'));
    for (const [k, v] of url.searchParams) if (!params.has(k)) params.set(k, v);
    const { action, input } = queryToInput(params);
    const link = req.method === 'GET' && LINK_ACTIONS.has(action) && !req.headers.authorization;
    const payloadHash = createHash('sha256').update(body).digest('hex');
    await verifySigV4(req, url, payloadHash, engine.context.credentials, { anonymous: (anonymous ?? false) || link });
    const operation = Object.hasOwn(OPERATIONS, action) ? OPERATIONS[action] : undefined;
    if (!operation) throw new InvalidAction(action);
    const result = await operation(engine, input);
    sendXml(res, 200, resultToXml(action, result, requestId), requestId);
  } catch (err) {
    sendSnsError(res, err, requestId);
  }
}

/**
 * True for an SNS request: signed for the `sns` service (header or presigned query), or one of the
 * links SNS sends endpoints (GET `/?Action=ConfirmSubscription|Unsubscribe`).
 */
export function isSnsRequest(req: IncomingMessage, url: URL): boolean {
  if (SNS_SCOPE.test(String(req.headers.authorization ?? ''))) return true;
  if (/\/sns\/aws4_request$/.test(url.searchParams.get('X-Amz-Credential') ?? '')) return true;
  return req.method === 'GET' && url.pathname === '/' && LINK_ACTIONS.has(url.searchParams.get('Action') ?? '');
}
