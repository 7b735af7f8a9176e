import { decodePathParam, type Route, Router } from '../../router.js';
import type { AwsRequestContext } from '../index.js';
import { createAlias, deleteAlias, getAlias, listAliases, updateAlias } from './aliases.js';
import { sendLambdaError, UnknownOperation } from './errors.js';
import { handle as handleEventSourceMappings } from './event-source-mappings.js';
import { handle as handleFunctionUrls } from './function-urls.js';
import {
  createFunction,
  deleteFunction,
  getFunction,
  getFunctionConfiguration,
  listFunctions,
  listVersionsByFunction,
  publishVersion,
  updateFunctionCode,
  updateFunctionConfiguration,
} from './functions.js';
import { invoke, invokeAsync } from './invoke.js';
import { addPermission, getPolicy, removePermission } from './policies.js';
import {
  deleteEventInvokeConfig,
  deleteFunctionConcurrency,
  getAccountSettings,
  getEventInvokeConfig,
  getFunctionConcurrency,
  listEventInvokeConfigs,
  listTags,
  putEventInvokeConfig,
  putFunctionConcurrency,
  tagResource,
  untagResource,
} from './settings.js';

const FN = '/2015-03-31/functions/:name';
const EVENT_CONFIG = '/2019-09-25/functions/:name/event-invoke-config';

/** The Lambda REST API operations lambdata serves, by method and path. */
const routes: Route[] = [
  { method: 'POST', path: '/2015-03-31/functions', handler: createFunction },
  { method: 'GET', path: '/2015-03-31/functions', handler: listFunctions },
  { method: 'GET', path: FN, handler: getFunction },
  { method: 'DELETE', path: FN, handler: deleteFunction },
  { method: 'GET', path: `${FN}/configuration`, handler: getFunctionConfiguration },
  { method: 'PUT', path: `${FN}/configuration`, handler: updateFunctionConfiguration },
  { method: 'PUT', path: `${FN}/code`, handler: updateFunctionCode },
  { method: 'POST', path: `${FN}/versions`, handler: publishVersion },
  { method: 'GET', path: `${FN}/versions`, handler: listVersionsByFunction },
  { method: 'POST', path: `${FN}/invocations`, handler: invoke },
  { method: 'POST', path: `${FN}/aliases`, handler: createAlias },
  { method: 'GET', path: `${FN}/aliases`, handler: listAliases },
  { method: 'GET', path: `${FN}/aliases/:alias`, handler: getAlias },
  { method: 'PUT', path: `${FN}/aliases/:alias`, handler: updateAlias },
  { method: 'DELETE', path: `${FN}/aliases/:alias`, handler: deleteAlias },
  { method: 'POST', path: `${FN}/policy`, handler: addPermission },
  { method: 'GET', path: `${FN}/policy`, handler: getPolicy },
  { method: 'DELETE', path: `${FN}/policy/:sid`, handler: removePermission },
  { method: 'POST', path: '/2014-11-13/functions/:name/invoke-async', handler: invokeAsync },
  { method: 'PUT', path: '/2017-10-31/functions/:name/concurrency', handler: putFunctionConcurrency },
  { method: 'DELETE', path: '/2017-10-31/functions/:name/concurrency', handler: deleteFunctionConcurrency },
  { method: 'GET', path: '/2019-09-30/functions/:name/concurrency', handler: getFunctionConcurrency },
  { method: 'GET', path: `${EVENT_CONFIG}/list`, handler: listEventInvokeConfigs },
  { method: 'PUT', path: EVENT_CONFIG, handler: putEventInvokeConfig },
  { method: 'POST', path: EVENT_CONFIG, handler: putEventInvokeConfig },
  { method: 'GET', path: EVENT_CONFIG, handler: getEventInvokeConfig },
  { method: 'DELETE', path: EVENT_CONFIG, handler: deleteEventInvokeConfig },
  { method: 'GET', path: '/2016-08-19/account-settings', handler: getAccountSettings },
  { method: 'GET', path: '/2017-03-31/tags/:arn', handler: listTags },
  { method: 'POST', path: '/2017-03-31/tags/:arn', handler: tagResource },
  { method: 'DELETE', path: '/2017-03-31/tags/:arn', handler: untagResource },
];

const router = new Router(routes);
/** Invoke, the one operation called at a rate: matched before the route table. */
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const LAMBDA_PATH =
  /^\/(2014-11-13|2015-03-31|2016-08-19|2017-03-31|2017-10-31|2018-10-31|2019-09-25|2019-09-30|2020-04-22|2020-06-30|2021-10-31)\//;
const ESM_PATH = /^\/2015-03-31\/event-source-mappings(\/|$)/;
const URL_PATH = /^\/2021-10-31\/functions\/[^/]+\/urls?(\/|$)/;

/** True for the Lambda REST API's paths (/2015-03-31/functions…, event-source-mappings, …). */
export function isLambdaPath(path: string): boolean {
  return path.startsWith('/20') && LAMBDA_PATH.test(path);
}

/**
 * Lambda wire adapter: routes a REST request to its operation and answers errors in the Lambda
 * error shape. Event source mappings and function URLs are served by their own modules.
 */
export async function handleLambda(ctx: AwsRequestContext): Promise<void> {
  const path = ctx.url.pathname;
  const method = ctx.req.method ?? 'GET';
  const invocation = method === 'POST' ? INVOKE_PATH.exec(path) : null;
  if (!invocation) {
    if (ESM_PATH.test(path)) return handleEventSourceMappings(ctx);
    if (URL_PATH.test(path)) return handleFunctionUrls(ctx);
  }
  try {
    if (invocation) {
      await invoke({ ...ctx, params: { name: decodePathParam(invocation[1] ?? '') } });
      return;
    }
    const { route, params } = router.match(method, path);
    if (!route) throw new UnknownOperation(method, path);
    await route.handler({ ...ctx, params });
  } catch (err) {
    if (!ctx.req.complete && !ctx.req.destroyed) {
      // An unread body (refused as too large, or not needed): drain it and close the connection.
      ctx.res.setHeader('connection', 'close');
      ctx.req.resume();
    }
    sendLambdaError(ctx.res, err, ctx.requestId);
  }
}
