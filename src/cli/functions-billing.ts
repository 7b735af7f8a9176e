import type { BillingAnswer, DeadLettersAnswer, ReplayAnswer } from '../api/native/contract.js';
import { defineCommand, UsageError } from './command.js';
import { parseSince, prettyJson, query, table } from './format.js';

const BILLING_USAGE = 'lambdata billing [--function f] [--since 1h|ISO] [--json]';
const DLQ_USAGE = 'lambdata dlq ls [--function f] [--json] | replay <id> | replay --all [--function f] | rm <id>';

/** `lambdata billing`: invocations, billed ms, GB-seconds and cost, per function and in total. */
export const billing = defineCommand({
  name: 'billing',
  summary: 'Show billed duration, GB-seconds and cost per function',
  usage: BILLING_USAGE,
  options: {
    function: { type: 'string' },
    since: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    if (positionals.length) throw new UsageError('billing takes no positional arguments');
    const summary = await ctx.client.get<BillingAnswer>(
      `/billing${query({ function: values.function, since: values.since ? parseSince(values.since) : undefined })}`,
    );
    if (values.json) {
      ctx.out(prettyJson(summary));
      return 0;
    }
    const row = (name: string, s: Omit<BillingAnswer['byFunction'][number], 'functionName'>) => [
      name,
      s.invocations,
      s.billedMs,
      s.gbSeconds.toFixed(6),
      `$${s.totalCostUsd.toFixed(8)}`,
    ];
    ctx.out(
      table(
        ['FUNCTION', 'INVOCATIONS', 'BILLED MS', 'GB-S', 'COST'],
        [...summary.byFunction.map((f) => row(f.functionName, f)), row('TOTAL', summary)],
      ),
    );
    return 0;
  },
});

/** `lambdata dlq ls|replay|rm`: failed async events kept for replay. */
export const dlq = defineCommand({
  name: 'dlq',
  summary: 'List, replay or remove failed async events (dead letters)',
  usage: DLQ_USAGE,
  options: {
    function: { type: 'string' },
    all: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    const [sub = 'ls', id, ...extra] = positionals;
    if (extra.length) throw new UsageError('too many arguments');
    if (sub === 'ls' || sub === 'list') {
      const { deadLetters } = await ctx.client.get<DeadLettersAnswer>(`/dlq${query({ function: values.function })}`);
      if (values.json) ctx.out(prettyJson(deadLetters));
      else if (deadLetters.length === 0) ctx.err('no dead letters\n');
      else
        ctx.out(
          table(
            ['ID', 'FUNCTION', 'CONDITION', 'ATTEMPTS', 'FAILED AT', 'ERROR'],
            deadLetters.map((d) => [
              d.id,
              d.functionName,
              d.condition,
              d.attempts,
              new Date(d.failedAt).toISOString(),
              d.errorType ? `${d.errorType}: ${d.errorMessage ?? ''}` : '-',
            ]),
          ),
        );
      return 0;
    }
    if (sub === 'replay') {
      if (Boolean(values.all) === (id !== undefined)) throw new UsageError('replay needs an <id> or --all');
      const path = values.all
        ? `/dlq/replay${query({ function: values.function })}`
        : `/dlq/${encodeURIComponent(id ?? '')}/replay`;
      const { replayed } = await ctx.client.post<ReplayAnswer>(path);
      ctx.out(`replayed ${replayed}\n`);
      return 0;
    }
    if (sub === 'rm' || sub === 'delete') {
      if (!id) throw new UsageError('rm needs an <id>');
      await ctx.client.delete(`/dlq/${encodeURIComponent(id)}`);
      ctx.err(`deleted ${id}\n`);
      return 0;
    }
    throw new UsageError(`unknown subcommand '${sub}'`);
  },
});
