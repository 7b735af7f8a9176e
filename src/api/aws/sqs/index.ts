import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { InvalidQueueParameter } from '../../../storage/queues/index.js';
import { readBody, sendJson } from '../../http.js';
import type { AwsRequestContext } from '../index.js';
import { checkInput, ownOperation } from '../request-shape.js';
import { verifySigV4 } from '../sigv4.js';
import { JSON_TYPE, sendSqsError, sendXml, UnsupportedOperation } from './errors.js';
import { OPERATIONS, type SqsInput } from './operations.js';
import { queryToInput, resultToXml } from './query.js';
import { operationShapes, sqsFailures } from './shapes.js';

/**
 * SQS wire adapter: the JSON protocol (X-Amz-Target `AmazonSQS.<Action>`, SDK v3 and CLI v2) and
 * the query protocol (form-encoded `Action=…`, XML answers, CLI v1 and older SDKs).
 */
export async function handleSqs({ engine, req, res, url, requestId, anonymous }: AwsRequestContext): Promise<void> {
  const target = req.headers['x-amz-target'];
  const json = typeof target === 'string';
  let action = '';
  try {
    let input: unknown;
    const body = await readBody(req);
    const payloadHash = createHash('sha256').update(body).digest('hex');
    await verifySigV4(req, url, payloadHash, engine.context.credentials, { anonymous: anonymous ?? false });
    if (json) {
      action = target.slice(target.indexOf('.') + 1);
      input = parseJson(body);
    } else {
      const params = new URLSearchParams(body.toString('utf8'));
      for (const [k, v] of url.searchParams) if (!params.has(k)) params.set(k, v);
      ({ action, input } = queryToInput(params));
      const query = input as SqsInput;
      if (query.QueueUrl === undefined && /^\/\d{12}\/[^/]+/.test(url.pathname)) query.QueueUrl = url.pathname;
    }
    const operation = ownOperation(OPERATIONS, action);
    if (!operation) throw new UnsupportedOperation(action);
    const checked = checkInput(input, ownOperation(operationShapes, action) ?? {}, sqsFailures, { text: !json });
    const abort = new AbortController();
    // A client that hangs up mid long poll ends the poll (its messages stay in the queue).
    res.once('close', () => abort.abort());
    const result = await operation(engine, checked, req.headers.host, abort.signal);
    if (json) sendJson(res, 200, result, { 'content-type': JSON_TYPE, 'x-amzn-requestid': requestId });
    else sendXml(res, 200, resultToXml(action, result, requestId), requestId);
  } catch (err) {
    sendSqsError(res, err, json, requestId);
  }
}

/** True for the SQS query protocol (form-encoded `Action=` POSTs to `/` or a queue URL). */
export function isSqsQueryRequest(req: IncomingMessage, url: URL): boolean {
  if (req.method === 'GET' && url.searchParams.has('Action') && /^\/(\d{12}\/[^/]+\/?)?$/.test(url.pathname))
    return true;
  return (
    req.method === 'POST' && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
  );
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (err) {
    throw new InvalidQueueParameter('The request body is not valid JSON.', { cause: err });
  }
}
