import type { FunctionUrlConfig } from '../../../events/index.js';
import { InvalidParameterValue } from '../../../shared/errors.js';
import { sendJson } from '../../http.js';
import { decodePathParam } from '../../router.js';
import type { AwsRequestContext } from '../index.js';
import { sendLambdaError, UnknownOperation } from './errors.js';
import { inputShapes, readInput } from './inputs.js';
import { parseFunctionName } from './names.js';

/**
 * The function URL part of the Lambda REST API: `/2021-10-31/functions/{name}/url`
 * (POST create, GET, PUT update, DELETE) and `…/urls` (GET list). The URL points at `/_lambdata/url/{name}/`.
 */
export async function handle({ engine, req, res, url, requestId }: AwsRequestContext): Promise<void> {
  const method = req.method ?? 'GET';
  const headers = { 'x-amzn-RequestId': requestId };
  try {
    const m = /^\/2021-10-31\/functions\/([^/]+)\/(url|urls)\/?$/.exec(url.pathname);
    if (!m) throw new UnknownOperation(method, url.pathname);
    const store = engine.functionUrls;
    const { name, qualifier } = parseFunctionName(decodePathParam(m[1] as string), url.searchParams.get('Qualifier'));
    const fn = engine.functions.get(name);
    if (qualifier) {
      throw new InvalidParameterValue(
        `lambdata serves function URLs of unqualified functions only (Qualifier ${qualifier})`,
      );
    }
    const base = `http://${req.headers.host ?? new URL(engine.context.endpoint()).host}`;
    const wire = (c: FunctionUrlConfig) => toWire(c, fn.arn, base);
    if (m[2] === 'urls') {
      if (method !== 'GET') throw new UnknownOperation(method, url.pathname);
      const config = store.find(fn.name);
      sendJson(res, 200, { FunctionUrlConfigs: config ? [wire(config)] : [] }, headers);
    } else if (method === 'POST') {
      const body = await readInput(req, inputShapes.CreateFunctionUrlConfig);
      sendJson(res, 201, wire(store.create(fn.name, inputOf(body))), headers);
    } else if (method === 'GET') {
      sendJson(res, 200, wire(store.get(fn.name)), headers);
    } else if (method === 'PUT') {
      const body = await readInput(req, inputShapes.UpdateFunctionUrlConfig);
      sendJson(res, 200, wire(store.update(fn.name, inputOf(body))), headers);
    } else if (method === 'DELETE') {
      store.delete(fn.name);
      res.writeHead(204, headers);
      res.end();
    } else {
      throw new UnknownOperation(method, url.pathname);
    }
  } catch (err) {
    sendLambdaError(res, err, requestId);
  }
}

function inputOf(body: Record<string, unknown>) {
  return {
    authType: body.AuthType as string | undefined,
    cors: body.Cors,
    invokeMode: body.InvokeMode as string | undefined,
  };
}

function toWire(c: FunctionUrlConfig, functionArn: string, base: string): Record<string, unknown> {
  return {
    FunctionUrl: `${base}/_lambdata/url/${c.functionName}/`,
    FunctionArn: functionArn,
    AuthType: c.authType,
    ...(c.cors ? { Cors: c.cors } : {}),
    CreationTime: new Date(c.createdAt).toISOString(),
    LastModifiedTime: new Date(c.modifiedAt).toISOString(),
    InvokeMode: c.invokeMode,
  };
}
