import type { FunctionDetail } from '../api/native/contract.js';
import { defineCommand, UsageError } from './command.js';
import { keyValues, parsePositiveInt, prettyJson } from './format.js';

const USAGE = [
  'lambdata invoke-config <name> [--retries 0-2] [--max-age SECONDS] [--on-success ARN|none] [--on-failure ARN|none] [--json]',
  '  With no option, shows how the function handles asynchronous events (retries, event age, destinations).',
].join('\n');

/** `lambdata invoke-config <name> …`: a function's asynchronous invocation settings (PutFunctionEventInvokeConfig). */
export const invokeConfig = defineCommand({
  name: 'invoke-config',
  summary: "Show or change a function's retries, event age and destinations for asynchronous events",
  usage: USAGE,
  options: {
    retries: { type: 'string' },
    'max-age': { type: 'string' },
    'on-success': { type: 'string' },
    'on-failure': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    const [name, ...extra] = positionals;
    if (!name || extra.length) throw new UsageError('expected <name>');
    const change: Record<string, unknown> = {};
    if (values.retries !== undefined)
      change.maximumRetryAttempts = parsePositiveInt(values.retries, '--retries', { allowZero: true });
    if (values['max-age'] !== undefined)
      change.maximumEventAgeInSeconds = parsePositiveInt(values['max-age'], '--max-age');
    // `none` removes a destination ('' is how the engine clears one).
    if (values['on-success'] !== undefined) change.onSuccess = destination(values['on-success']);
    if (values['on-failure'] !== undefined) change.onFailure = destination(values['on-failure']);
    const path = `/functions/${encodeURIComponent(name)}`;
    const fn = Object.keys(change).length
      ? await ctx.client.request<FunctionDetail>('PATCH', path, { eventInvokeConfig: change })
      : await ctx.client.get<FunctionDetail>(path);
    const config = fn.eventInvokeConfig;
    if (values.json) ctx.out(prettyJson(config));
    else
      ctx.out(
        keyValues({
          function: fn.name,
          maximumRetryAttempts: config.maximumRetryAttempts,
          maximumEventAgeInSeconds: config.maximumEventAgeInSeconds,
          onSuccess: config.onSuccess || '-',
          onFailure: config.onFailure || '-',
        }),
      );
    return 0;
  },
});

function destination(value: string): string {
  return value === 'none' ? '' : value;
}
