import { describeError, readJson, sendJson } from '../../http.js';
import type { AwsRequestContext } from '../index.js';
import { operations } from './operations.js';

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * The Kinesis wire adapter (JSON 1.1, `X-Amz-Target: Kinesis_20131202.<Action>`). Errors are
 * `{"__type": code, "message"}` with status 400, as Kinesis answers; unknown failures are 500.
 * CBOR (`application/x-amz-cbor-1.1`, sent by the Java SDK) is not supported.
 */
export async function handleKinesis({ engine, req, res, requestId }: AwsRequestContext): Promise<void> {
  const headers = { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': requestId };
  const action = String(req.headers['x-amz-target']).split('.')[1] ?? '';
  try {
    if (String(req.headers['content-type'] ?? '').includes('cbor')) {
      sendJson(
        res,
        400,
        { __type: 'InvalidArgumentException', message: 'CBOR is not supported; disable CBOR in the client' },
        headers,
      );
      return;
    }
    const operation = operations[action];
    if (!operation) {
      sendJson(res, 400, { __type: 'UnknownOperationException', message: `Unknown operation ${action}` }, headers);
      return;
    }
    const input = await readJson<Record<string, unknown>>(req, 64 * 1024 * 1024);
    sendJson(res, 200, operation(engine, input, Date.now()), headers);
  } catch (err) {
    const { status, code, message } = describeError(err);
    if (status >= 500) engine.context.log.error('kinesis request failed', { err, action });
    sendJson(res, status >= 500 ? 500 : 400, { __type: code, message }, headers);
  }
}
