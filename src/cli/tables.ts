/** `lambdata tables create|ls|describe|rm|put|get|scan|query`: DynamoDB-like tables through the native API, items as plain JSON. */
import { ApiError } from '../api/native/api-error.js';
import type { ItemAnswer, ItemsPage, TableList } from '../api/native/contract.js';
import { type Command, defineCommand, UsageError } from './command.js';
import { need, prettyJson } from './format.js';

const USAGE = `lambdata tables <subcommand>
  create <name> --pk id[:S|N] [--sk sort[:S|N]] [--stream NEW_AND_OLD_IMAGES|NEW_IMAGE|OLD_IMAGE|KEYS_ONLY]
  ls                                    list tables
  describe <name>                       key schema, item count, stream ARN
  rm <name>                             delete a table and its items
  put <name> '<json item>'              write an item (plain JSON)
  get <name> '<json key>'               print one item (exit 1 when absent)
  scan <name> [--limit N]               print items, one JSON line each
  query <name> '<json partition key>' [--index NAME] [--sort '<op> <value> [value]'] [--reverse] [--limit N]
                                        print one partition's items in sort key order, one JSON line each;
                                        op is = < <= > >= begins_with between (e.g. --sort 'between 10 20')`;

const VIEW_TYPES = ['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'];
const SORT_OPS = ['=', '<', '<=', '>', '>=', 'begins_with', 'between'];

/** `lambdata tables …` */
const tables = defineCommand({
  name: 'tables',
  summary: 'DynamoDB-like tables: create, ls, describe, rm, put, get, scan, query',
  usage: USAGE,
  options: {
    pk: { type: 'string' },
    sk: { type: 'string' },
    stream: { type: 'string' },
    limit: { type: 'string' },
    index: { type: 'string' },
    sort: { type: 'string' },
    reverse: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  subcommandRequired: true,
  async run({ values, positionals }, ctx) {
    const [sub, name, body] = positionals;
    const path = (suffix = '') => `/tables/${encodeURIComponent(need(name, `${sub} needs a table name`))}${suffix}`;
    switch (sub) {
      case 'create': {
        if (!values.pk) throw new UsageError('create needs --pk name[:S|N]');
        if (values.stream && !VIEW_TYPES.includes(values.stream))
          throw new UsageError(`--stream must be one of ${VIEW_TYPES.join(', ')}`);
        await ctx.client.post('/tables', {
          name: need(name, 'create needs a table name'),
          partitionKey: values.pk,
          ...(values.sk ? { sortKey: values.sk } : {}),
          ...(values.stream ? { stream: values.stream } : {}),
        });
        ctx.out(`created table ${name}\n`);
        return 0;
      }
      case 'ls': {
        const { tables: list } = await ctx.client.get<TableList>('/tables');
        if (values.json) ctx.out(prettyJson(list));
        else for (const t of list) ctx.out(`${t.name}\t${t.itemCount} items${t.streamArn ? '\tstream' : ''}\n`);
        return 0;
      }
      case 'describe':
        ctx.out(prettyJson(await ctx.client.get(path())));
        return 0;
      case 'rm':
        await ctx.client.delete(path());
        ctx.out(`deleted table ${name}\n`);
        return 0;
      case 'put':
        await ctx.client.put(path('/items'), jsonArg(body, 'put needs <name> <json item>'));
        return 0;
      case 'get': {
        try {
          const { item } = await ctx.client.post<ItemAnswer>(
            path('/get'),
            jsonArg(body, 'get needs <name> <json key>'),
          );
          ctx.out(`${JSON.stringify(item)}\n`);
          return 0;
        } catch (err) {
          if (err instanceof ApiError && err.code === 'ItemNotFound') {
            ctx.err(`lambdata tables: no item with key ${body}\n`);
            return 1;
          }
          throw err;
        }
      }
      case 'scan': {
        const limit = positiveLimit(values.limit);
        let printed = 0;
        let start: unknown;
        do {
          const pageSize = Math.min(1000, limit - printed);
          const query = `?limit=${pageSize}${start ? `&start=${encodeURIComponent(JSON.stringify(start))}` : ''}`;
          const page = await ctx.client.get<ItemsPage>(path(`/items${query}`));
          for (const item of page.items) ctx.out(`${JSON.stringify(item)}\n`);
          printed += page.items.length;
          start = page.lastEvaluatedKey;
        } while (start && printed < limit);
        return 0;
      }
      case 'query': {
        const key = jsonArg(body, "query needs <name> '<json partition key>'");
        const limit = positiveLimit(values.limit);
        const sort = values.sort === undefined ? undefined : sortArg(values.sort);
        let printed = 0;
        let start: unknown;
        do {
          const page: ItemsPage = await ctx.client.post<ItemsPage>(path('/query'), {
            key,
            limit: Math.min(1000, limit - printed),
            ...(values.index ? { index: values.index } : {}),
            ...(sort ? { sort } : {}),
            ...(values.reverse ? { reverse: true } : {}),
            ...(start ? { start } : {}),
          });
          for (const item of page.items) ctx.out(`${JSON.stringify(item)}\n`);
          printed += page.items.length;
          start = page.lastEvaluatedKey;
        } while (start && printed < limit);
        return 0;
      }
      default:
        throw new UsageError(`unknown subcommand '${sub}'`);
    }
  },
});

/** Every command of this module. */
export const commands: Command[] = [tables];

function jsonArg(text: string | undefined, message: string): Record<string, unknown> {
  if (text === undefined) throw new UsageError(message);
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UsageError('expected a JSON object');
    return value as Record<string, unknown>;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`not valid JSON: ${text}`);
  }
}

function positiveLimit(text: string | undefined): number {
  const limit = text === undefined ? Number.POSITIVE_INFINITY : Number(text);
  if (!(limit > 0)) throw new UsageError('--limit must be a positive number');
  return limit;
}

/** `--sort '<op> <value> [value]'`: values stay text; the server types them by the sort key. */
function sortArg(text: string): { op: string; values: string[] } {
  const [op = '', ...values] = text.trim().split(/\s+/);
  if (!SORT_OPS.includes(op) || values.length !== (op === 'between' ? 2 : 1)) {
    throw new UsageError(`--sort must be '<op> <value>' with op one of ${SORT_OPS.join(' ')} ('between <low> <high>')`);
  }
  return { op, values };
}
