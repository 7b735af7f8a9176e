import type { ServerResponse } from 'node:http';
import { describeError, readBody, readJson, sendJson } from '../../http.js';
import type { AwsRequestContext } from '../index.js';
import { checkInput, ownOperation } from '../request-shape.js';
import { CBOR_CONTENT_TYPE, decodeCborRequest, encodeCborResponse } from './cbor.js';
import { JsonText, operations } from './operations.js';
import { kinesisFailures, operationShapes } from './shapes.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const BODY_LIMIT = 64 * 1024 * 1024;

/**
 * The Kinesis wire adapter (JSON 1.1, `X-Amz-Target: Kinesis_20131202.<Action>`). Errors are
 * `{"__type": code, "message"}` with status 400, as Kinesis answers; unknown failures are 500.
 * Requests in AWS's CBOR protocol (`application/x-amz-cbor-1.1`, the Java SDKs' default) get the same
 * operations and are answered in CBOR, errors included.
 */
export async function handleKinesis({ engine, req, res, requestId }: AwsRequestContext): Promise<void> {
  const cbor = String(req.headers['content-type'] ?? '').includes('cbor');
  const send = cbor ? sendCbor : sendJson;
  const headers = { 'content-type': cbor ? CBOR_CONTENT_TYPE : CONTENT_TYPE, 'x-amzn-requestid': requestId };
  const action = String(req.headers['x-amz-target']).split('.')[1] ?? '';
  try {
    const operation = ownOperation(operations, action);
    if (!operation) {
      send(res, 400, { __type: 'UnknownOperationException', message: `Unknown operation ${action}` }, headers);
      return;
    }
    const body = cbor ? decodeCborRequest(await readBody(req, BODY_LIMIT)) : await readJson(req, BODY_LIMIT);
    const input = checkInput(body, ownOperation(operationShapes, action) ?? {}, kinesisFailures);
    const output = operation(engine, input, Date.now());
    if (!(output instanceof JsonText)) send(res, 200, output, headers);
    else if (cbor) send(res, 200, JSON.parse(output.text), headers);
    else {
      res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(output.text) });
      res.end(output.text);
    }
  } catch (err) {
    const { status, code, message } = describeError(err);
    if (status >= 500) engine.context.log.error('kinesis request failed', { err, action });
    send(res, status >= 500 ? 500 : 400, { __type: code, message }, { ...headers, 'x-amzn-errortype': code });
  }
}

function sendCbor(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const bytes = encodeCborResponse(body);
  res.writeHead(status, { ...headers, 'content-length': bytes.length });
  res.end(bytes);
}
