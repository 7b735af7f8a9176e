import { urlEvent, urlResponse } from '../../events/index.js';
import { PAYLOAD_LIMITS } from '../../invoke/index.js';
import { describeError, readBody } from '../http.js';
import type { Route, RouteContext } from '../router.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * Function URLs: every request to `/_lambdata/url/:function/<path>` invokes the function
 * synchronously with the function URL (payload 2.0) event and answers with its mapped response.
 */
export const routes: Route[] = METHODS.flatMap((method) => [
  { method, path: '/url/:function', handler: serveUrl, body: 'raw' as const },
  { method, path: '/url/:function/:path*', handler: serveUrl, body: 'raw' as const },
]);

async function serveUrl({ engine, req, res, url, params, requestId }: RouteContext): Promise<void> {
  const { apiId } = engine.functionUrls;
  try {
    const body = await readBody(req, PAYLOAD_LIMITS.syncBytes);
    const event = urlEvent({
      method: req.method ?? 'GET',
      rawPath: `/${params.path ?? ''}`,
      rawQueryString: url.search.slice(1),
      headers: req.headers,
      body,
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      requestId,
      domainName: req.headers.host ?? '127.0.0.1',
      apiId,
      protocol: `HTTP/${req.httpVersion}`,
    });
    const result = await engine.invocations.invoke({
      functionName: params.function as string,
      payload: JSON.stringify(event),
      invocationType: 'RequestResponse',
      trigger: 'url',
    });
    const response = urlResponse(result.payload, result.functionError);
    res.writeHead(response.statusCode, {
      ...response.headers,
      'content-length': response.body.length,
      'x-amzn-requestid': requestId,
    });
    res.end(response.body);
  } catch (err) {
    // A function's own failure is in its response above; what lands here is a refusal (404, 413,
    // 429, answered as such) or a fault of the engine, answered 502 as AWS does but logged.
    const { status, code, message } = describeError(err);
    if (status >= 500) engine.context.log.error('function url request failed', { err, function: params.function });
    const mapped = status === 404 || status === 429 || status === 413 ? status : 502;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const text = JSON.stringify({ Message: mapped === 502 ? 'Internal Server Error' : message, Code: code });
    res.writeHead(mapped, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': requestId,
    });
    res.end(text);
  }
}
