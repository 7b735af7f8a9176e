import type { AliasInput, FunctionAlias } from '../../../invoke/index.js';
import { InvalidParameterValue } from '../../../shared/errors.js';
import { sendJson } from '../../http.js';
import type { RouteContext } from '../../router.js';
import { RevisionMismatch } from './errors.js';
import { inputShapes, readInput } from './inputs.js';
import { parseFunctionName } from './names.js';
import { optionalString, paginate } from './shapes.js';

const ALIAS_REQUEST_LIMIT = 64 * 1024;

/** CreateAlias: POST /2015-03-31/functions/{name}/aliases (201 AliasConfiguration). */
export async function createAlias({ engine, req, res, params }: RouteContext): Promise<void> {
  const fn = engine.functions.get(parseFunctionName(params.name ?? '').name);
  const body = await readInput(req, inputShapes.CreateAlias, ALIAS_REQUEST_LIMIT);
  const name = optionalString(body, 'Name');
  if (!name) throw new InvalidParameterValue('Name is required');
  const alias = engine.functions.aliases.create(fn.name, name, aliasInput(body));
  sendJson(res, 201, toAliasConfiguration(engine, alias));
}

/** GetAlias: GET /2015-03-31/functions/{name}/aliases/{alias}. */
export function getAlias({ engine, res, params }: RouteContext): void {
  const fn = engine.functions.get(parseFunctionName(params.name ?? '').name);
  sendJson(res, 200, toAliasConfiguration(engine, engine.functions.aliases.get(fn.name, params.alias ?? '')));
}

/** ListAliases: the function's aliases by name, only those routing to `FunctionVersion` when given; paged. */
export function listAliases({ engine, res, url, params }: RouteContext): void {
  const fn = engine.functions.get(parseFunctionName(params.name ?? '').name);
  const version = url.searchParams.get('FunctionVersion') ?? undefined;
  const page = paginate(engine.functions.aliases.list(fn.name, version), url);
  sendJson(res, 200, {
    Aliases: page.items.map((alias) => toAliasConfiguration(engine, alias)),
    ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}),
  });
}

/** UpdateAlias: PUT /2015-03-31/functions/{name}/aliases/{alias}; a stale RevisionId is PreconditionFailed. */
export async function updateAlias({ engine, req, res, params }: RouteContext): Promise<void> {
  const fn = engine.functions.get(parseFunctionName(params.name ?? '').name);
  const body = await readInput(req, inputShapes.UpdateAlias, ALIAS_REQUEST_LIMIT);
  const aliases = engine.functions.aliases;
  const revision = optionalString(body, 'RevisionId');
  if (revision && revision !== aliases.get(fn.name, params.alias ?? '').revisionId) throw new RevisionMismatch();
  const alias = aliases.update(fn.name, params.alias ?? '', aliasInput(body));
  sendJson(res, 200, toAliasConfiguration(engine, alias));
}

/** DeleteAlias (204; an alias that does not exist is no error, as on AWS). */
export function deleteAlias({ engine, res, params }: RouteContext): void {
  const fn = engine.functions.get(parseFunctionName(params.name ?? '').name);
  engine.functions.aliases.delete(fn.name, params.alias ?? '');
  res.writeHead(204);
  res.end();
}

/** The AWS AliasConfiguration JSON. */
function toAliasConfiguration(engine: RouteContext['engine'], alias: FunctionAlias): Record<string, unknown> {
  const weights = alias.additionalVersionWeights;
  return {
    AliasArn: engine.functions.aliases.arn(alias.functionName, alias.name),
    Name: alias.name,
    FunctionVersion: alias.functionVersion,
    Description: alias.description,
    ...(Object.keys(weights).length ? { RoutingConfig: { AdditionalVersionWeights: weights } } : {}),
    RevisionId: alias.revisionId,
  };
}

function aliasInput(body: Record<string, unknown>): AliasInput {
  const input: AliasInput = {};
  const version = optionalString(body, 'FunctionVersion');
  if (version !== undefined) input.functionVersion = version;
  const description = optionalString(body, 'Description');
  if (description !== undefined) input.description = description;
  const routing = body.RoutingConfig as { AdditionalVersionWeights?: Record<string, number> } | undefined;
  // A RoutingConfig without weights (or with an empty map) clears the routing, as UpdateAlias does on AWS.
  if (routing) input.additionalVersionWeights = { ...(routing.AdditionalVersionWeights ?? {}) };
  return input;
}
