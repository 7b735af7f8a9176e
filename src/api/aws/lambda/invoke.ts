import { isInvocationType, PAYLOAD_LIMITS, payloadLimit } from '../../../invoke/index.js';
import { InvalidParameterValue, RequestTooLarge } from '../../../shared/errors.js';
import { readBody } from '../../http.js';
import type { RouteContext } from '../../router.js';
import { parseFunctionName } from './names.js';

/**
 * Invoke: POST /2015-03-31/functions/{name}/invocations. Honours X-Amz-Invocation-Type,
 * X-Amz-Log-Type, X-Amz-Client-Context and Qualifier; answers 200 with the payload, 202 for Event,
 * 204 for DryRun, with X-Amz-Function-Error, X-Amz-Executed-Version and X-Amz-Log-Result.
 */
export async function invoke({ engine, req, res, url, params }: RouteContext): Promise<void> {
  const invocationType = header(req.headers['x-amz-invocation-type']) ?? 'RequestResponse';
  if (!isInvocationType(invocationType)) {
    throw new InvalidParameterValue(`Invalid InvocationType: ${invocationType}`);
  }
  const logType = header(req.headers['x-amz-log-type']) ?? 'None';
  if (logType !== 'None' && logType !== 'Tail') throw new InvalidParameterValue(`Invalid LogType: ${logType}`);
  // Most calls have no query: skip building its URLSearchParams.
  const query = url.search === '' ? null : url.searchParams.get('Qualifier');
  const { name, qualifier } = parseFunctionName(params.name ?? '', query);
  const payload = await readPayload(req, payloadLimit(invocationType));
  const clientContext = header(req.headers['x-amz-client-context']);
  const result = await engine.invocations.invoke({
    functionName: name,
    ...(qualifier ? { qualifier } : {}),
    payload,
    invocationType,
    logType,
    trigger: 'api',
    ...(clientContext ? { clientContext } : {}),
  });
  const headers: Record<string, string> = {
    'x-amzn-RequestId': result.requestId,
    'X-Amz-Executed-Version': result.executedVersion,
  };
  if (result.functionError) headers['X-Amz-Function-Error'] = result.functionError;
  if (result.logResult && invocationType === 'RequestResponse') headers['X-Amz-Log-Result'] = result.logResult;
  if (result.statusCode === 200) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(result.payload.length);
    res.writeHead(200, headers);
    res.end(result.payload);
    return;
  }
  res.writeHead(result.statusCode, { ...headers, 'content-length': '0' });
  res.end();
}

/** InvokeAsync (legacy): POST /2014-11-13/functions/{name}/invoke-async → 202 {Status: 202}. */
export async function invokeAsync({ engine, req, res, params }: RouteContext): Promise<void> {
  const { name } = parseFunctionName(params.name ?? '');
  const payload = await readPayload(req, PAYLOAD_LIMITS.legacyAsyncBytes);
  await engine.invocations.invoke({ functionName: name, payload, invocationType: 'Event', trigger: 'api' });
  const text = JSON.stringify({ Status: 202 });
  res.writeHead(202, { 'content-type': 'application/json', 'content-length': String(text.length) });
  res.end(text);
}

async function readPayload(req: RouteContext['req'], limit: number): Promise<Buffer> {
  // Refuse a declared oversize body before reading it; the adapter drains what is left.
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    throw new RequestTooLarge(`Request must be smaller than ${limit} bytes for the InvokeFunction operation`);
  }
  try {
    return await readBody(req, limit);
  } catch (err) {
    if ((err as { code?: string }).code === 'RequestTooLargeException') {
      throw new RequestTooLarge(`Request must be smaller than ${limit} bytes for the InvokeFunction operation`, {
        cause: err,
      });
    }
    throw err;
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value || undefined;
}
