import type { FunctionDetail, FunctionList, NativeFunction } from '../api/native/contract.js';
import { defineCommand, UsageError } from './command.js';
import { formatBytes, keyValues, prettyJson, table } from './format.js';

const FUNCTIONS_USAGE = 'lambdata functions ls [--json] | show <name> [--json] | rm <name>';
const VERSIONS_USAGE = 'lambdata versions <name> [--publish] [--description …] [--json]';

/** `lambdata functions ls|show|rm`. */
export const functions = defineCommand({
  name: 'functions',
  summary: 'List, show or remove functions',
  usage: FUNCTIONS_USAGE,
  options: { json: { type: 'boolean' } },
  async run({ values, positionals }, ctx) {
    const [sub = 'ls', name, ...extra] = positionals;
    if (extra.length) throw new UsageError('too many arguments');
    if (sub === 'ls' || sub === 'list') {
      if (name) throw new UsageError('ls takes no name');
      const { functions: rows } = await ctx.client.get<FunctionList>('/functions');
      if (values.json) ctx.out(prettyJson(rows));
      else if (rows.length === 0) ctx.err('no functions\n');
      else ctx.out(functionTable(rows));
      return 0;
    }
    if (!name) throw new UsageError(`${sub} needs a function name`);
    const path = `/functions/${encodeURIComponent(name)}`;
    if (sub === 'show') {
      const fn = await ctx.client.get<FunctionDetail>(path);
      if (values.json) {
        ctx.out(prettyJson(fn));
        return 0;
      }
      const { versions, settings: _settings, ...config } = fn;
      ctx.out(keyValues(config));
      ctx.out(`\nversions\n${functionTable(versions)}`);
      return 0;
    }
    if (sub === 'rm' || sub === 'delete') {
      await ctx.client.delete(path);
      ctx.err(`deleted ${name}\n`);
      return 0;
    }
    throw new UsageError(`unknown subcommand '${sub}'`);
  },
});

/** `lambdata versions <name> [--publish]`. */
export const versions = defineCommand({
  name: 'versions',
  summary: "List a function's versions, or publish one",
  usage: VERSIONS_USAGE,
  options: {
    publish: { type: 'boolean' },
    description: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    const [name, ...extra] = positionals;
    if (!name || extra.length) throw new UsageError('expected <name>');
    const path = `/functions/${encodeURIComponent(name)}`;
    if (values.publish) {
      const fn = await ctx.client.post<NativeFunction>(
        `${path}/versions`,
        values.description ? { description: values.description } : {},
      );
      if (values.json) ctx.out(prettyJson(fn));
      else ctx.out(`published ${name} version ${fn.version}\n`);
      return 0;
    }
    const fn = await ctx.client.get<FunctionDetail>(path);
    if (values.json) ctx.out(prettyJson(fn.versions));
    else ctx.out(functionTable(fn.versions));
    return 0;
  },
});

function functionTable(rows: NativeFunction[]): string {
  return table(
    ['NAME', 'VERSION', 'RUNTIME', 'HANDLER', 'MEMORY', 'TIMEOUT', 'RESERVED', 'CODE', 'LAST MODIFIED'],
    rows.map((fn) => [
      fn.name,
      fn.version,
      fn.runtime,
      fn.handler,
      `${fn.memoryMb} MB`,
      `${fn.timeoutS} s`,
      fn.reservedConcurrency ?? '-',
      formatBytes(fn.codeSize),
      fn.lastModified,
    ]),
  );
}
