import { PACKAGE_LIMITS } from '../../../invoke/index.js';
import { InvalidParameterValue, ResourceNotFound } from '../../../shared/errors.js';
import { sendJson } from '../../http.js';
import type { RouteContext } from '../../router.js';
import { inputShapes, readInput } from './inputs.js';
import { parseFunctionName } from './names.js';
import { fromEventInvokeConfig, toEventInvokeConfig, versionArn } from './shapes.js';

const CONFIG_LIMIT = 256 * 1024;
/** Account limits lambdata reports (AWS's defaults). */
const ACCOUNT_LIMIT = {
  TotalCodeSize: 80 * 1024 * 1024 * 1024,
  CodeSizeUnzipped: PACKAGE_LIMITS.unzippedBytes,
  CodeSizeZipped: PACKAGE_LIMITS.zippedBytes,
} as const;

/** PutFunctionConcurrency: reserves N concurrent executions (0 throttles every invocation). */
export async function putFunctionConcurrency({ engine, req, res, params }: RouteContext): Promise<void> {
  const { name } = parseFunctionName(params.name ?? '');
  const body = await readInput(req, inputShapes.PutFunctionConcurrency, CONFIG_LIMIT);
  const n = body.ReservedConcurrentExecutions;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new InvalidParameterValue('ReservedConcurrentExecutions must be a non-negative integer');
  }
  engine.functions.putConcurrency(name, n);
  sendJson(res, 200, { ReservedConcurrentExecutions: n });
}

/** GetFunctionConcurrency: `{}` when nothing is reserved. */
export function getFunctionConcurrency({ engine, res, params }: RouteContext): void {
  const { name } = parseFunctionName(params.name ?? '');
  const reserved = engine.functions.settings(name).reservedConcurrency;
  sendJson(res, 200, reserved === null ? {} : { ReservedConcurrentExecutions: reserved });
}

/** DeleteFunctionConcurrency (204). */
export function deleteFunctionConcurrency({ engine, res, params }: RouteContext): void {
  const { name } = parseFunctionName(params.name ?? '');
  engine.functions.putConcurrency(name, null);
  res.writeHead(204);
  res.end();
}

/** PutFunctionEventInvokeConfig (PUT, replaces) and UpdateFunctionEventInvokeConfig (POST, merges). */
export async function putEventInvokeConfig({ engine, req, res, params }: RouteContext): Promise<void> {
  const { name } = parseFunctionName(params.name ?? '');
  const body = await readInput(req, inputShapes.PutFunctionEventInvokeConfig, CONFIG_LIMIT);
  const current = req.method === 'POST' ? engine.functions.getEventInvokeConfig(name) : undefined;
  if (req.method === 'POST' && !current) {
    throw new ResourceNotFound(`The function ${name} doesn't have an EventInvokeConfig`);
  }
  const saved = engine.functions.putEventInvokeConfig(name, fromEventInvokeConfig(body, current));
  sendJson(res, 200, toEventInvokeConfig(versionArn(engine.functions.get(name)), saved));
}

/** GetFunctionEventInvokeConfig: 404 when none was put. */
export function getEventInvokeConfig({ engine, res, params }: RouteContext): void {
  const { name } = parseFunctionName(params.name ?? '');
  const cfg = engine.functions.getEventInvokeConfig(name);
  if (!cfg) throw new ResourceNotFound(`The function ${name} doesn't have an EventInvokeConfig`);
  sendJson(res, 200, toEventInvokeConfig(versionArn(engine.functions.get(name)), cfg));
}

/** ListFunctionEventInvokeConfigs: at most the one config of $LATEST. */
export function listEventInvokeConfigs({ engine, res, params }: RouteContext): void {
  const { name } = parseFunctionName(params.name ?? '');
  const fn = engine.functions.get(name);
  const cfg = engine.functions.getEventInvokeConfig(name);
  sendJson(res, 200, { FunctionEventInvokeConfigs: cfg ? [toEventInvokeConfig(versionArn(fn), cfg)] : [] });
}

/** DeleteFunctionEventInvokeConfig (204). */
export function deleteEventInvokeConfig({ engine, res, params }: RouteContext): void {
  const { name } = parseFunctionName(params.name ?? '');
  if (!engine.functions.getEventInvokeConfig(name)) {
    throw new ResourceNotFound(`The function ${name} doesn't have an EventInvokeConfig`);
  }
  engine.functions.deleteEventInvokeConfig(name);
  res.writeHead(204);
  res.end();
}

/** GetAccountSettings: AWS's default code limits, the engine's concurrency limit, and usage summed over every version's package. */
export function getAccountSettings({ engine, res }: RouteContext): void {
  const functions = engine.functions.list();
  let totalCodeSize = 0;
  let reserved = 0;
  for (const fn of functions) {
    for (const version of engine.functions.listVersions(fn.name)) totalCodeSize += version.codeSize;
    reserved += engine.functions.settings(fn.name).reservedConcurrency ?? 0;
  }
  const { limit } = engine.invocations.concurrency();
  sendJson(res, 200, {
    AccountLimit: {
      ...ACCOUNT_LIMIT,
      ConcurrentExecutions: limit,
      UnreservedConcurrentExecutions: limit - reserved,
    },
    AccountUsage: { TotalCodeSize: totalCodeSize, FunctionCount: functions.length },
  });
}

/** ListTags: GET /2017-03-31/tags/{arn}. */
export function listTags({ engine, res, params }: RouteContext): void {
  const { name } = parseFunctionName(params.arn ?? '');
  engine.functions.get(name);
  sendJson(res, 200, { Tags: engine.functionMetadata.tags(name) });
}

/** TagResource: POST /2017-03-31/tags/{arn} (204). */
export async function tagResource({ engine, req, res, params }: RouteContext): Promise<void> {
  const { name } = parseFunctionName(params.arn ?? '');
  engine.functions.get(name);
  const body = await readInput(req, inputShapes.TagResource, CONFIG_LIMIT);
  if (!body.Tags || typeof body.Tags !== 'object') throw new InvalidParameterValue('Tags is required');
  engine.functionMetadata.tag(name, body.Tags as Record<string, string>);
  res.writeHead(204);
  res.end();
}

/** UntagResource: DELETE /2017-03-31/tags/{arn}?tagKeys=… (204). */
export function untagResource({ engine, res, url, params }: RouteContext): void {
  const { name } = parseFunctionName(params.arn ?? '');
  engine.functions.get(name);
  engine.functionMetadata.untag(name, url.searchParams.getAll('tagKeys'));
  res.writeHead(204);
  res.end();
}
