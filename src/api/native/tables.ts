import { InvalidRequestContent } from '../../shared/errors.js';
import { type AttributeMap, fromPlain, toPlain } from '../../storage/tables/index.js';
import { readJsonObject, sendJson } from '../http.js';
import type { Route, RouteContext } from '../router.js';
import type { CreateTableRequest, ItemAnswer, ItemsPage, QueryItemsRequest, TableList } from './contract.js';

/** Tables under /_lambdata: list, describe, create, delete, and items as plain JSON. */
export const routes: Route[] = [
  { method: 'GET', path: '/tables', handler: listTables },
  { method: 'POST', path: '/tables', handler: createTable },
  { method: 'GET', path: '/tables/:name', handler: describeTable },
  { method: 'DELETE', path: '/tables/:name', handler: deleteTable },
  { method: 'GET', path: '/tables/:name/items', handler: scanItems },
  { method: 'PUT', path: '/tables/:name/items', handler: putItem },
  { method: 'POST', path: '/tables/:name/get', handler: getItem },
  { method: 'POST', path: '/tables/:name/query', handler: queryItems },
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

const SORT_OPS = ['=', '<', '<=', '>', '>=', 'begins_with', 'between'];

/** One partition of the table or an index as plain JSON, built into a KeyConditionExpression. */
async function queryItems({ engine, req, res, params }: RouteContext): Promise<void> {
  const body = await readJsonObject<Partial<QueryItemsRequest>>(req);
  const name = params.name as string;
  const table = engine.tables.describeTable(name);
  const schema = body.index
    ? [...(table.globalSecondaryIndexes ?? []), ...(table.localSecondaryIndexes ?? [])].find(
        (i) => i.indexName === body.index,
      )?.keySchema
    : table.keySchema;
  if (!schema) throw new InvalidRequestContent(`Table ${name} has no index ${body.index}`);
  const attributeType = (attribute: string) =>
    table.attributeDefinitions.find((a) => a.attributeName === attribute)?.attributeType;
  const keys = Object.entries(body.key ?? {});
  const partition = schema.find((k) => k.keyType === 'HASH')?.attributeName as string;
  if (keys.length !== 1 || keys[0]?.[0] !== partition) {
    throw new InvalidRequestContent(`key must hold exactly the partition key ${partition}`);
  }
  const typed = (attribute: string, value: unknown) =>
    fromPlain({ v: attributeType(attribute) === 'N' ? Number(value) : value }).v as AttributeMap[string];
  const values: AttributeMap = { ':p': typed(partition, keys[0]?.[1]) };
  let condition = '#p = :p';
  const names: Record<string, string> = { '#p': partition };
  if (body.sort) {
    const sortKey = schema.find((k) => k.keyType === 'RANGE')?.attributeName;
    const { op, values: operands = [] } = body.sort;
    if (!sortKey) throw new InvalidRequestContent('sort needs a key schema with a sort key');
    if (!SORT_OPS.includes(op) || operands.length !== (op === 'between' ? 2 : 1)) {
      throw new InvalidRequestContent(`sort must be one of ${SORT_OPS.join(' ')} with its values`);
    }
    names['#s'] = sortKey;
    operands.forEach((v, i) => {
      values[`:s${i}`] = typed(sortKey, v);
    });
    condition +=
      op === 'between'
        ? ' AND #s BETWEEN :s0 AND :s1'
        : op === 'begins_with'
          ? ' AND begins_with(#s, :s0)'
          : ` AND #s ${op} :s0`;
  }
  const page = engine.tables.query(name, {
    keyConditionExpression: condition,
    expressionAttributeNames: names,
    expressionAttributeValues: values,
    ...(body.index ? { indexName: body.index } : {}),
    ...(body.limit ? { limit: body.limit } : {}),
    ...(body.reverse ? { scanIndexForward: false } : {}),
    ...(body.start ? { exclusiveStartKey: fromPlain(body.start) } : {}),
  });
  sendJson(res, 200, {
    items: page.items.map(toPlain),
    count: page.count,
    ...(page.lastEvaluatedKey ? { lastEvaluatedKey: toPlain(page.lastEvaluatedKey) } : {}),
  } satisfies ItemsPage);
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
