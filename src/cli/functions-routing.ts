import type { AliasList } from '../api/native/contract.js';
import { defineCommand, UsageError } from './command.js';
import { keyValues, prettyJson, table } from './format.js';

const ALIASES_USAGE = [
  'lambdata aliases <function> [ls] [--json]',
  '       lambdata aliases <function> set <alias> [--version N] [--weight VERSION=SHARE] [--description …] [--json]',
  '       lambdata aliases <function> rm <alias>',
].join('\n');
const URL_USAGE = [
  'lambdata url <function> [--auth NONE|AWS_IAM] [--cors-origin ORIGIN …] [--json]   (creates or updates; no option: shows)',
  '       lambdata url <function> rm',
].join('\n');

/** `lambdata aliases …`: a function's aliases, with weighted routing to a second version. */
const aliases = defineCommand({
  name: 'aliases',
  summary: "List, set or remove a function's aliases (weighted routing between two versions)",
  usage: ALIASES_USAGE,
  options: {
    version: { type: 'string' },
    weight: { type: 'string' },
    description: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    const [fn, sub = 'ls', alias, ...extra] = positionals;
    if (!fn || extra.length) throw new UsageError('expected <function> [ls | set <alias> | rm <alias>]');
    const base = `/functions/${encodeURIComponent(fn)}/aliases`;
    if (sub === 'ls' || sub === 'list') {
      const { aliases: rows } = await ctx.client.get<AliasList>(base);
      if (values.json) ctx.out(prettyJson(rows));
      else if (rows.length === 0) ctx.err('no aliases\n');
      else
        ctx.out(
          table(
            ['ALIAS', 'VERSION', 'ROUTING', 'DESCRIPTION'],
            rows.map((a) => [
              a.name,
              a.functionVersion,
              Object.entries(a.additionalVersionWeights)
                .map(([v, w]) => `${v}=${w}`)
                .join(' ') || '-',
              a.description || '-',
            ]),
          ),
        );
      return 0;
    }
    if (!alias) throw new UsageError(`${sub} needs an alias name`);
    const path = `${base}/${encodeURIComponent(alias)}`;
    if (sub === 'set') {
      const body: Record<string, unknown> = {};
      if (values.version) body.functionVersion = values.version;
      if (values.description !== undefined) body.description = values.description;
      if (values.weight !== undefined) body.additionalVersionWeights = weights(values.weight);
      const answer = await ctx.client.put<Record<string, unknown>>(path, body);
      ctx.out(values.json ? prettyJson(answer) : keyValues(answer));
      return 0;
    }
    if (sub === 'rm' || sub === 'delete') {
      await ctx.client.delete(path);
      ctx.err(`deleted alias ${alias} of ${fn}\n`);
      return 0;
    }
    throw new UsageError(`unknown subcommand '${sub}'`);
  },
});

/** `lambdata url …`: a function's URL config (AuthType, CORS). */
const url = defineCommand({
  name: 'url',
  summary: "Show, create, change or remove a function's URL (AuthType NONE or AWS_IAM, CORS)",
  usage: URL_USAGE,
  options: {
    auth: { type: 'string' },
    'cors-origin': { type: 'string', multiple: true },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    const [fn, sub, ...extra] = positionals;
    if (!fn || extra.length || (sub !== undefined && sub !== 'rm')) throw new UsageError('expected <function> [rm]');
    const path = `/functions/${encodeURIComponent(fn)}/url`;
    if (sub === 'rm') {
      await ctx.client.delete(path);
      ctx.err(`removed the URL of ${fn}\n`);
      return 0;
    }
    const change: Record<string, unknown> = {};
    if (values.auth !== undefined) change.authType = values.auth;
    if (values['cors-origin']?.length) change.cors = { AllowOrigins: values['cors-origin'] };
    // No option shows the config; a function without one gets it created with AuthType NONE.
    const config = await (Object.keys(change).length ? ctx.client.put(path, change) : ctx.client.get(path));
    const shown = {
      ...(config as Record<string, unknown>),
      url: `${ctx.client.endpoint.replace(/\/$/, '')}/_lambdata/url/${fn}/`,
    };
    ctx.out(values.json ? prettyJson(shown) : keyValues(shown));
    return 0;
  },
});

export const commands = [aliases, url];

function weights(spec: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of spec.split(',')) {
    const m = /^([0-9]+)=(0(?:\.[0-9]+)?|1(?:\.0+)?)$/.exec(part.trim());
    if (!m) throw new UsageError(`--weight takes VERSION=SHARE with a share from 0 to 1 (got '${part}')`);
    out[m[1] as string] = Number(m[2]);
  }
  return out;
}
