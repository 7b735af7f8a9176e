import type { FunctionUrlConfig, UrlConfigInput } from '../../events/index.js';
import type { AliasInput, FunctionAlias } from '../../invoke/index.js';
import { InvalidParameterValue } from '../../shared/errors.js';
import { readJsonObject, sendJson } from '../http.js';
import type { Route, RouteContext } from '../router.js';
import type { AliasList, DeletedAnswer } from './contract.js';

/**
 * A function's aliases and URL config for the CLI and the dashboard, under /_lambdata: GET
 * /functions/:name/aliases, PUT/DELETE /functions/:name/aliases/:alias, GET/PUT/DELETE
 * /functions/:name/url. The same services the Lambda API's CreateAlias and
 * CreateFunctionUrlConfig use; PUT creates or updates.
 */
export const routes: Route[] = [
  { method: 'GET', path: '/functions/:name/aliases', handler: listAliases },
  { method: 'PUT', path: '/functions/:name/aliases/:alias', handler: putAlias },
  { method: 'DELETE', path: '/functions/:name/aliases/:alias', handler: deleteAlias },
  { method: 'GET', path: '/functions/:name/url', handler: getUrl },
  { method: 'PUT', path: '/functions/:name/url', handler: putUrl },
  { method: 'DELETE', path: '/functions/:name/url', handler: deleteUrl },
];

function listAliases({ engine, res, params }: RouteContext): void {
  const name = engine.functions.get(params.name as string).name;
  sendJson(res, 200, { aliases: engine.functions.aliases.list(name) } satisfies AliasList);
}

async function putAlias({ engine, req, res, params }: RouteContext): Promise<void> {
  const name = engine.functions.get(params.name as string).name;
  const alias = params.alias as string;
  const body = await readJsonObject<Record<string, unknown>>(req);
  const input: AliasInput = {};
  if (body.functionVersion !== undefined) input.functionVersion = String(body.functionVersion);
  if (typeof body.description === 'string') input.description = body.description;
  if (body.additionalVersionWeights !== undefined) {
    const weights = body.additionalVersionWeights;
    if (weights === null || typeof weights !== 'object' || Array.isArray(weights))
      throw new InvalidParameterValue('additionalVersionWeights must be an object of version → weight');
    input.additionalVersionWeights = weights as Record<string, number>;
  }
  const exists = engine.functions.aliases.find(name, alias) !== undefined;
  let answer: FunctionAlias;
  if (exists) answer = engine.functions.aliases.update(name, alias, input);
  else {
    if (!input.functionVersion) throw new InvalidParameterValue('functionVersion is required to create an alias');
    answer = engine.functions.aliases.create(name, alias, input);
  }
  sendJson(res, exists ? 200 : 201, answer);
}

function deleteAlias({ engine, res, params }: RouteContext): void {
  const name = engine.functions.get(params.name as string).name;
  engine.functions.aliases.delete(name, params.alias as string);
  sendJson(res, 200, { deleted: params.alias as string } satisfies DeletedAnswer);
}

function getUrl({ engine, res, params }: RouteContext): void {
  const name = engine.functions.get(params.name as string).name;
  sendJson(res, 200, engine.functionUrls.get(name) satisfies FunctionUrlConfig);
}

async function putUrl({ engine, req, res, params }: RouteContext): Promise<void> {
  const name = engine.functions.get(params.name as string).name;
  const body = await readJsonObject<Record<string, unknown>>(req);
  const input: UrlConfigInput = {};
  if (body.authType !== undefined) input.authType = String(body.authType);
  if (body.cors !== undefined) input.cors = body.cors;
  const exists = engine.functionUrls.find(name) !== undefined;
  const config = exists ? engine.functionUrls.update(name, input) : engine.functionUrls.create(name, input);
  sendJson(res, exists ? 200 : 201, config);
}

function deleteUrl({ engine, res, params }: RouteContext): void {
  const name = engine.functions.get(params.name as string).name;
  engine.functionUrls.delete(name);
  sendJson(res, 200, { deleted: name } satisfies DeletedAnswer);
}
