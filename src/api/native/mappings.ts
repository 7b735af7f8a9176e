import type { MappingInput, MappingPatch } from '../../events/index.js';
import { InvalidParameterValue } from '../../shared/errors.js';
import { readJsonObject, sendJson } from '../http.js';
import type { Route, RouteContext } from '../router.js';
import type { DeletedAnswer, MappingList, ScheduleList } from './contract.js';

type Body = Record<string, unknown>;

const PATCH_KEYS = [
  'enabled',
  'batchSize',
  'maximumBatchingWindowInSeconds',
  'parallelizationFactor',
  'maximumRetryAttempts',
  'maximumRecordAgeInSeconds',
  'bisectBatchOnFunctionError',
  'reportBatchItemFailures',
  'tumblingWindowInSeconds',
  'onFailureDestination',
  'maximumConcurrency',
  'functionName',
] as const;

/**
 * Event source mappings and schedules under /_lambdata: GET/POST /mappings,
 * GET/PATCH/DELETE /mappings/:uuid; GET/POST /schedules, GET/DELETE /schedules/:name.
 */
export const routes: Route[] = [
  { method: 'GET', path: '/mappings', handler: listMappings },
  { method: 'POST', path: '/mappings', handler: createMapping },
  {
    method: 'GET',
    path: '/mappings/:uuid',
    handler: ({ engine, res, params }) => sendJson(res, 200, engine.mappings.view(params.uuid as string)),
  },
  { method: 'PATCH', path: '/mappings/:uuid', handler: patchMapping },
  { method: 'DELETE', path: '/mappings/:uuid', handler: deleteMapping },
  {
    method: 'GET',
    path: '/schedules',
    handler: ({ engine, res }) => sendJson(res, 200, { schedules: engine.schedules.list() } satisfies ScheduleList),
  },
  { method: 'POST', path: '/schedules', handler: addSchedule },
  {
    method: 'GET',
    path: '/schedules/:name',
    handler: ({ engine, res, params }) => sendJson(res, 200, engine.schedules.get(params.name as string)),
  },
  { method: 'DELETE', path: '/schedules/:name', handler: removeSchedule },
];

function listMappings({ engine, res, url }: RouteContext): void {
  const mappings = engine.mappings.list({
    functionName: url.searchParams.get('function') ?? undefined,
    eventSourceArn: url.searchParams.get('eventSourceArn') ?? undefined,
  });
  sendJson(res, 200, { mappings } satisfies MappingList);
}

/** Body: `{ functionName, eventSourceArn | source: { type: 'stream'|'table'|'queue', name }, batchSize, … }`. */
async function createMapping({ engine, req, res }: RouteContext): Promise<void> {
  const body = await readJsonObject<Body>(req);
  const source = body.source as { type?: string; name?: string } | undefined;
  let eventSourceArn = body.eventSourceArn;
  if (typeof eventSourceArn !== 'string') {
    if (!source || !['stream', 'table', 'queue'].includes(String(source.type)) || typeof source.name !== 'string') {
      throw new InvalidParameterValue('eventSourceArn or source { type: stream|table|queue, name } is required');
    }
    eventSourceArn = engine.mappings.sourceArn(source.type as 'stream' | 'table' | 'queue', source.name);
  }
  if (typeof body.functionName !== 'string') throw new InvalidParameterValue('functionName is required');
  const input: MappingInput = {
    ...patchOf(body),
    functionName: body.functionName,
    eventSourceArn: eventSourceArn as string,
    startingPosition: body.startingPosition as MappingInput['startingPosition'],
    startingPositionTimestamp: body.startingPositionTimestamp as number | undefined,
  };
  sendJson(res, 201, engine.mappings.create(input));
}

async function patchMapping({ engine, req, res, params }: RouteContext): Promise<void> {
  const body = await readJsonObject<Body>(req);
  sendJson(res, 200, await engine.mappings.update(params.uuid as string, patchOf(body)));
}

async function deleteMapping({ engine, res, params }: RouteContext): Promise<void> {
  sendJson(res, 200, await engine.mappings.delete(params.uuid as string));
}

/** Body: `{ name, expression, functionName, input? }` (input: JSON text or any JSON value). */
async function addSchedule({ engine, req, res }: RouteContext): Promise<void> {
  const body = await readJsonObject<Body>(req);
  const input =
    body.input === undefined ? undefined : typeof body.input === 'string' ? body.input : JSON.stringify(body.input);
  sendJson(
    res,
    201,
    engine.schedules.add({
      name: String(body.name ?? ''),
      expression: String(body.expression ?? ''),
      functionName: String(body.functionName ?? ''),
      input,
    }),
  );
}

function removeSchedule({ engine, res, params }: RouteContext): void {
  engine.schedules.remove(params.name as string);
  sendJson(res, 200, { deleted: params.name } satisfies DeletedAnswer);
}

function patchOf(body: Body): MappingPatch {
  const patch: Record<string, unknown> = {};
  for (const key of PATCH_KEYS) if (body[key] !== undefined) patch[key] = body[key];
  return patch as MappingPatch;
}
