/**
 * The front end of function URLs: `/_lambdata/url/<function>/<path>` answers only for a function
 * with a URL config. AuthType AWS_IAM requires a SigV4 signature (service `lambda`) made with the
 * engine's credentials, and the function's policy must grant lambda:InvokeFunctionUrl to a caller
 * from another account. CORS follows the config: preflights are answered here, allowed origins get
 * their CORS headers, and only an origin the config allows gets past the server's foreign-Origin guard.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine.js';
import {
  corsAllowsOrigin,
  type FunctionUrlConfig,
  preflightHeaders,
  responseCorsHeaders,
  type UrlCaller,
  urlEvent,
  urlResponse,
} from '../events/index.js';
import { PAYLOAD_LIMITS } from '../invoke/index.js';
import { AccessDenied, ResourceNotFound } from '../shared/errors.js';
import { ACCOUNT_ID } from '../shared/ids.js';
import type { AccessControl } from './access.js';
import { verifySigV4 } from './aws/sigv4.js';
import { describeError, readBody } from './http.js';
import type { RequestGuard } from './request-guard.js';
import { decodePathParam } from './router.js';

/** Where function URLs live on the server's port. */
export const URL_PREFIX = '/_lambdata/url/';

/** What serving one function URL request needs. */
export interface UrlFrontContext {
  engine: Engine;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  requestId: string;
  guard: RequestGuard;
  access: AccessControl;
}

const FORWARDED_STATUSES = new Set([401, 403, 404, 413, 429]);

/** Answers one request to a function URL (never throws: every failure is an HTTP answer). */
export async function serveFunctionUrl(ctx: UrlFrontContext): Promise<void> {
  const { engine, req, res, url, requestId } = ctx;
  const target = parseTarget(url.pathname);
  let config: FunctionUrlConfig | undefined;
  try {
    config = target ? engine.functionUrls.find(target.functionName) : undefined;
    ctx.guard.check(req, { allowsOrigin: (origin) => corsAllowsOrigin(config?.cors, origin) });
    if (ctx.access.required) await ctx.access.authorizeNative(req, url, engine.context.credentials);
    if (!target || !config) throw new ResourceNotFound(`No function URL at ${url.pathname}`);
    const origin = req.headers.origin;
    const asked = req.headers['access-control-request-method'];
    if (req.method === 'OPTIONS' && config.cors && origin !== undefined && typeof asked === 'string') {
      req.resume();
      const headers = preflightHeaders(config.cors, origin, asked, req.headers['access-control-request-headers']);
      res.writeHead(200, { ...headers, 'content-length': 0, 'x-amzn-requestid': requestId });
      res.end();
      return;
    }
    const body = await readBody(req, PAYLOAD_LIMITS.syncBytes);
    const iam = config.authType === 'AWS_IAM' ? await authorizeIam(ctx, target.functionName, body) : undefined;
    const event = urlEvent({
      method: req.method ?? 'GET',
      rawPath: target.rawPath,
      rawQueryString: url.search.slice(1),
      headers: req.headers,
      body,
      sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
      requestId,
      domainName: req.headers.host ?? '127.0.0.1',
      apiId: engine.functionUrls.apiId,
      protocol: `HTTP/${req.httpVersion}`,
      ...(iam ? { iam } : {}),
    });
    const result = await engine.invocations.invoke({
      functionName: target.functionName,
      payload: JSON.stringify(event),
      invocationType: 'RequestResponse',
      trigger: 'url',
    });
    const response = urlResponse(result.payload, result.functionError);
    const headers = withoutCors(response.headers);
    res.writeHead(response.statusCode, {
      ...headers,
      ...responseCorsHeaders(config.cors, origin),
      'content-length': response.body.length,
      'x-amzn-requestid': requestId,
    });
    res.end(response.body);
  } catch (err) {
    req.resume();
    sendUrlError(ctx, err, config);
  }
}

/**
 * Checks the SigV4 signature of a request to an AWS_IAM URL and the function's policy for its caller.
 * @throws AccessDenied (403 Forbidden, as AWS answers) for a missing or bad signature or a caller without permission
 */
async function authorizeIam(ctx: UrlFrontContext, functionName: string, body: Buffer): Promise<UrlCaller> {
  const { engine, req, url } = ctx;
  const payloadHash = createHash('sha256').update(body).digest('hex');
  let accessKey: string;
  try {
    const scope = await verifySigV4(req, url, payloadHash, engine.context.credentials);
    if (scope?.service !== 'lambda') throw new AccessDenied('Forbidden: sign the request for service lambda');
    accessKey = scope.accessKeyId;
  } catch (err) {
    throw new AccessDenied('Forbidden', { cause: err });
  }
  // The engine's one key pair belongs to the account; a caller from elsewhere would need the policy's grant.
  const account = ACCOUNT_ID;
  const granted = engine.functions.policies.allows(functionName, '', {
    action: 'lambda:InvokeFunctionUrl',
    account,
    functionUrlAuthType: 'AWS_IAM',
  });
  if (!granted) throw new AccessDenied('Forbidden');
  return {
    accessKey,
    accountId: account,
    callerId: accessKey,
    userArn: `arn:aws:iam::${account}:root`,
    userId: account,
  };
}

function sendUrlError(ctx: UrlFrontContext, err: unknown, config: FunctionUrlConfig | undefined): void {
  const { engine, req, res, requestId } = ctx;
  // A function's own failure is in its response; what lands here is a refusal (answered as such)
  // or a fault of the engine, answered 502 as AWS does but logged.
  const { status, code, message } = describeError(err);
  if (status >= 500) engine.context.log.error('function url request failed', { err, path: ctx.url.pathname });
  const mapped = FORWARDED_STATUSES.has(status) ? status : 502;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify({ Message: mapped === 502 ? 'Internal Server Error' : message, Code: code });
  const origin = req.headers.origin;
  // A refusal of an allowed origin still carries its CORS headers, so the page can read the error.
  const cors =
    config && origin !== undefined && corsAllowsOrigin(config.cors, origin)
      ? responseCorsHeaders(config.cors, origin)
      : {};
  res.writeHead(mapped, {
    ...cors,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': code,
  });
  res.end(text);
}

/** `/_lambdata/url/web/items/42` → function `web`, rawPath `/items/42`; undefined without a function name. */
function parseTarget(pathname: string): { functionName: string; rawPath: string } | undefined {
  const rest = pathname.slice(URL_PREFIX.length);
  const slash = rest.indexOf('/');
  const name = decodePathParam(slash < 0 ? rest : rest.slice(0, slash));
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) return undefined;
  return { functionName: name, rawPath: slash < 0 ? '/' : decodePathParam(rest.slice(slash)) };
}

/** The function's headers without CORS ones: the URL's config decides those, as on AWS. */
function withoutCors(headers: Record<string, string | string[]>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith('access-control-')));
}
