import type { FunctionDetail, FunctionPatchRequest } from '../api/native/contract.js';
import { defineCommand, UsageError } from './command.js';
import { keyValues, parsePositiveInt, prettyJson } from './format.js';

const USAGE = [
  'lambdata invoke-config <name> [--retries 0-2] [--max-age SECONDS] [--on-success ARN|none] [--on-failure ARN|none] [--dlq QUEUE_OR_TOPIC_ARN|none] [--json]',
  '  With no option, shows how the function handles asynchronous events (retries, event age, destinations,',
  "  dead-letter queue). --dlq sets the function's DeadLetterConfig (an SQS queue or SNS topic).",
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
    dlq: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    const [name, ...extra] = positionals;
    if (!name || extra.length) throw new UsageError('expected <name>');
    const change: Record<string, number | string> = {};
    if (values.retries !== undefined)
      change.maximumRetryAttempts = parsePositiveInt(values.retries, '--retries', { allowZero: true });
    if (values['max-age'] !== undefined)
      change.maximumEventAgeInSeconds = parsePositiveInt(values['max-age'], '--max-age');
    // `none` removes a destination ('' is how the engine clears one).
    if (values['on-success'] !== undefined) change.onSuccess = destination(values['on-success']);
    if (values['on-failure'] !== undefined) change.onFailure = destination(values['on-failure']);
    const patch: FunctionPatchRequest = {};
    if (Object.keys(change).length) patch.eventInvokeConfig = change;
    if (values.dlq !== undefined) patch.deadLetterTargetArn = destination(values.dlq);
    const path = `/functions/${encodeURIComponent(name)}`;
    const fn = Object.keys(patch).length
      ? await ctx.client.request<FunctionDetail>('PATCH', path, patch)
      : await ctx.client.get<FunctionDetail>(path);
    const config = fn.eventInvokeConfig;
    const { deadLetterTargetArn } = fn;
    if (values.json) ctx.out(prettyJson(deadLetterTargetArn ? { ...config, deadLetterTargetArn } : config));
    else
      ctx.out(
        keyValues({
          function: fn.name,
          maximumRetryAttempts: config.maximumRetryAttempts,
          maximumEventAgeInSeconds: config.maximumEventAgeInSeconds,
          onSuccess: config.onSuccess || '-',
          onFailure: config.onFailure || '-',
          deadLetterQueue: fn.deadLetterTargetArn ?? '-',
        }),
      );
    return 0;
  },
});

function destination(value: string): string {
  return value === 'none' ? '' : value;
}
