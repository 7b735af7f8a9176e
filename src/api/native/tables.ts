import { InvalidRequestContent } from '../../shared/errors.js';
import { type AttributeMap, fromPlain, toPlain } from '../../storage/tables/index.js';
import { readJsonObject, sendJson } from '../http.js';
import type { Route, RouteContext } from '../router.js';
import type { CreateTableRequest, ItemAnswer, ItemsPage, TableList } from './contract.js';

/** Tables under /_lambdata: list, describe, create, delete, and items as plain JSON. */
export const routes: Route[] = [
  { method: 'GET', path: '/tables', handler: listTables },
  { method: 'POST', path: '/tables', handler: createTable },
  { method: 'GET', path: '/tables/:name', handler: describeTable },
  { method: 'DELETE', path: '/tables/:name', handler: deleteTable },
  { method: 'GET', path: '/tables/:name/items', handler: scanItems },
  { method: 'PUT', path: '/tables/:name/items', handler: putItem },
  { method: 'POST', path: '/tables/:name/get', handler: getItem },
];

function listTables({ engine, res }: RouteContext): void {
  const tables = engine.tables.listTables().map((name) => {
    const d = engine.tables.describeTable(name);
    return { name, arn: d.tableArn, itemCount: d.itemCount, keySchema: d.keySchema, streamArn: d.latestStreamArn };
  });
  sendJson(res, 200, { tables } satisfies TableList);
}

async function createTable({ engine, req, res }: RouteContext): Promise<void> {
  const body = await readJsonObject<Partial<CreateTableRequest>>(req);
  if (typeof body.name !== 'string' || typeof body.partitionKey !== 'string') {
    throw new InvalidRequestContent('name and partitionKey are required');
  }
  const keys = [
    { ...keySpec(body.partitionKey), keyType: 'HASH' as const },
    ...(body.sortKey ? [{ ...keySpec(body.sortKey), keyType: 'RANGE' as const }] : []),
  ];
  const d = engine.tables.createTable({
    tableName: body.name,
    keySchema: keys.map((k) => ({ attributeName: k.attributeName, keyType: k.keyType })),
    attributeDefinitions: keys.map((k) => ({ attributeName: k.attributeName, attributeType: k.attributeType })),
    ...(body.stream ? { streamSpecification: { streamEnabled: true, streamViewType: body.stream } } : {}),
  });
  sendJson(res, 201, d);
}

function describeTable({ engine, res, params }: RouteContext): void {
  sendJson(res, 200, engine.tables.describeTable(params.name as string));
}

function deleteTable({ engine, res, params }: RouteContext): void {
  engine.tables.deleteTable(params.name as string);
  res.writeHead(204).end();
}

/** A page of items as plain JSON; `start` is the previous page's `lastEvaluatedKey` as JSON. */
function scanItems({ engine, res, url, params }: RouteContext): void {
  const limit = Number(url.searchParams.get('limit') ?? 100) || 100;
  const start = url.searchParams.get('start');
  const page = engine.tables.scan(params.name as string, {
    limit,
    ...(start ? { exclusiveStartKey: fromPlain(parseObject(start, 'start')) } : {}),
  });
  sendJson(res, 200, {
    items: page.items.map(toPlain),
    count: page.count,
    ...(page.lastEvaluatedKey ? { lastEvaluatedKey: toPlain(page.lastEvaluatedKey) } : {}),
  } satisfies ItemsPage);
}

async function putItem({ engine, req, res, params }: RouteContext): Promise<void> {
  const body = await readJsonObject<Record<string, unknown>>(req);
  const item: AttributeMap = fromPlain(body);
  engine.tables.putItem(params.name as string, item);
  sendJson(res, 200, { item: toPlain(item) } satisfies ItemAnswer);
}

async function getItem({ engine, req, res, params }: RouteContext): Promise<void> {
  const key = await readJsonObject<Record<string, unknown>>(req);
  const item = engine.tables.getItem(params.name as string, fromPlain(key));
  if (!item) {
    sendJson(res, 404, { error: { code: 'ItemNotFound', message: 'No item with that key' } });
    return;
  }
  sendJson(res, 200, { item: toPlain(item) } satisfies ItemAnswer);
}

function keySpec(spec: string): { attributeName: string; attributeType: 'S' | 'N' | 'B' } {
  const [attributeName = '', type = 'S'] = spec.split(':');
  if (!attributeName || !['S', 'N', 'B'].includes(type))
    throw new InvalidRequestContent(`Invalid key ${spec}: use name[:S|N|B]`);
  return { attributeName, attributeType: type as 'S' | 'N' | 'B' };
}

function parseObject(text: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new InvalidRequestContent(`${what} must be JSON`, { cause: err });
  }
}
