import { createHash } from 'node:crypto';
import type { HealthAnswer, StackAnswer, StackList } from '../api/native/contract.js';
import type { StackPlan, StackRecord } from '../templates/index.js';
import { type CliContext, type Command, defineCommand, UsageError } from './command.js';
import { prettyJson, table } from './format.js';
import { deployPlanToTarget, targetSite } from './template-target.js';

/** What `lambdata deploy --template` reads from its options. */
export interface TemplateDeployOptions {
  template: string;
  stackName?: string;
  parameterOverrides?: string[];
  stage?: string;
  json?: boolean;
  /** A scale-out target: the template's functions go there (and nothing else may be in it). */
  target?: string;
  roleArn?: string;
}

/**
 * `lambdata deploy --template template.yaml|serverless.yml`: reads the template here (where its code
 * is), packages each function's code once, and has the server apply the plan as one stack.
 */
export async function deployTemplate(options: TemplateDeployOptions, ctx: CliContext): Promise<number> {
  const health = await ctx.client.get<HealthAnswer>('/health');
  const target = options.target && options.target !== 'local' ? options.target : undefined;
  const site = target ? await targetSite(target, ctx) : { region: health.region, endpoint: ctx.endpoint };
  if (!site) {
    ctx.err(
      `lambdata deploy: ResourceNotFoundException: Target not found: ${target} (add it: lambdata targets add ${target} --region R [--profile P])\n`,
    );
    return 1;
  }
  let plan: StackPlan;
  try {
    // The template layer (its YAML parser) loads only when a template is deployed, not at every CLI start.
    const { planTemplate } = await import('../templates/index.js');
    plan = planTemplate(options.template, {
      ...(options.stackName ? { stackName: options.stackName } : {}),
      parameters: parseOverrides(options.parameterOverrides ?? []),
      ...(options.stage ? { stage: options.stage } : {}),
      env: process.env,
      site: { region: site.region, accountId: health.accountId, endpoint: site.endpoint ?? ctx.endpoint },
    });
  } catch (err) {
    if ((err as { code?: string }).code !== 'ValidationError') throw err;
    ctx.err(`lambdata deploy: ValidationError: ${(err as Error).message}\n`);
    return 1;
  }
  // Functions sharing a CodeUri share one package; the server refuses a plan over the package limit (413).
  const packaged = new Map<string, string>();
  for (const fn of plan.functions) {
    const path = fn.codePath as string;
    let id = packaged.get(path);
    if (!id) {
      const { packageSource } = await import('./package-source.js');
      const zip = packageSource(path);
      id = createHash('sha256').update(zip).digest('hex');
      packaged.set(path, id);
      plan.packages[id] = Buffer.from(zip).toString('base64');
    }
    fn.packageId = id;
    delete fn.codePath;
  }
  if (target)
    return deployPlanToTarget(
      plan,
      target,
      { ...(options.json ? { json: true } : {}), ...(options.roleArn ? { roleArn: options.roleArn } : {}) },
      ctx,
    );
  const result = await ctx.client.put<StackAnswer>(`/stacks/${encodeURIComponent(plan.stack)}`, plan);
  for (const warning of result.warnings) ctx.err(`warning: ${warning}\n`);
  if (options.json) {
    ctx.out(prettyJson({ ...result, outputs: plan.outputs ?? {} }));
    return 0;
  }
  ctx.out(`stack ${result.stack}\n`);
  ctx.out(
    table(
      ['ACTION', 'TYPE', 'NAME'],
      result.changes.map((c) => [c.action, c.type, c.name]),
    ),
  );
  for (const [fn, url] of Object.entries(result.urls)) ctx.out(`url ${fn} ${url}\n`);
  for (const [key, value] of Object.entries(plan.outputs ?? {})) ctx.out(`output ${key} ${value}\n`);
  return 0;
}

/** `Key=Value` pairs (several per argument, space-separated, as `sam deploy` takes them; `ParameterKey=K,ParameterValue=V` too). */
function parseOverrides(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of args.flatMap((arg) => arg.split(/\s+/)).filter(Boolean)) {
    const long = /^ParameterKey=([^,]+),ParameterValue=(.*)$/.exec(pair);
    const eq = pair.indexOf('=');
    if (!long && eq <= 0) throw new UsageError(`--parameter-overrides takes Key=Value, not ${pair}`);
    if (long) out[long[1] as string] = long[2] as string;
    else out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

const USAGE = [
  'lambdata stacks ls [--json]',
  '       lambdata stacks show <name>',
  '       lambdata stacks rm <name> [--json]',
].join('\n');

/** `lambdata stacks ls|show|rm`: stacks deployed from templates. */
const stacks = defineCommand({
  name: 'stacks',
  summary: 'List, show and remove stacks deployed from templates',
  usage: USAGE,
  options: { json: { type: 'boolean' } },
  async run({ values, positionals }, ctx) {
    const [sub = 'ls', name, ...extra] = positionals;
    if (extra.length) throw new UsageError('too many arguments');
    if (sub === 'ls' || sub === 'list') {
      const { stacks: rows } = await ctx.client.get<StackList>('/stacks');
      if (values.json) ctx.out(prettyJson(rows));
      else if (rows.length === 0) ctx.err('no stacks\n');
      else ctx.out(table(['NAME', 'KIND', 'FUNCTIONS', 'RESOURCES', 'UPDATED'], rows.map(stackRow)));
      return 0;
    }
    if (!name) throw new UsageError(`${sub} needs a stack name`);
    const path = `/stacks/${encodeURIComponent(name)}`;
    if (sub === 'show') {
      ctx.out(prettyJson(await ctx.client.get<StackRecord>(path)));
      return 0;
    }
    if (sub === 'rm' || sub === 'delete') {
      const result = await ctx.client.delete<StackAnswer>(path);
      if (values.json) ctx.out(prettyJson(result));
      else
        ctx.out(
          table(
            ['ACTION', 'TYPE', 'NAME'],
            result.changes.map((c) => [c.action, c.type, c.name]),
          ),
        );
      return 0;
    }
    throw new UsageError(`unknown subcommand ${sub}`);
  },
});

function stackRow(stack: StackRecord): Array<string | number> {
  const resources =
    stack.buckets.length + stack.queues.length + stack.streams.length + stack.tables.length + stack.topics.length;
  return [stack.name, stack.kind, stack.functions.join(',') || '-', resources, new Date(stack.updatedAt).toISOString()];
}

export const commands: Command[] = [stacks];
