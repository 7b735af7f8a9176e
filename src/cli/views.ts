/** `lambdata views create|ls|show|query|recompute`: batch ⊕ speed views (docs/VIEWS.md). */
import { resolve } from 'node:path';
import type { QueryAnswer, RecomputeAnswer, ViewDetail, ViewInfo, ViewList } from '../api/native/contract.js';
import { type CliContext, type Command, defineCommand, UsageError } from './command.js';
import { timeText } from './datasets.js';
import { need, parsePositiveInt, prettyJson, query, table } from './format.js';

const USAGE = `lambdata views <subcommand>
  create <name> --dataset D (--view ID | --code ./view.ts) [--generations N] [--every SECONDS]
                                   a view over a dataset: a built-in (word-count-hourly, event-count) or your module
  ls [--json]                      views with their batch version, horizon and speed layer
  show <name> [--json]             a view with its top keys (batch and speed parts)
  query <name> <key> [--from T] [--to T] [--version N] [--json]
                                   batch(t < horizon) ⊕ speed(t ≥ horizon) for one key (T: ISO-8601 or epoch ms)
  recompute <name> [--incremental] [--wait]
                                   recompute the batch version through the jobs engine and swap it in`;

const WAIT_POLL_MS = 250;

/** `lambdata views …` */
const views = defineCommand({
  name: 'views',
  summary: 'Lambda Architecture views: create, ls, show, query, recompute',
  usage: USAGE,
  options: {
    dataset: { type: 'string' },
    view: { type: 'string' },
    code: { type: 'string' },
    generations: { type: 'string' },
    every: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    version: { type: 'string' },
    incremental: { type: 'boolean' },
    wait: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  subcommandRequired: true,
  async run({ values, positionals }, ctx) {
    const [sub, name, key] = positionals;
    const path = (suffix = '') => `/views/${encodeURIComponent(need(name, `${sub} needs a view name`))}${suffix}`;
    switch (sub) {
      case 'create': {
        if (!values.dataset) throw new UsageError('create needs --dataset');
        if (!values.view === !values.code) throw new UsageError('create needs one of --view or --code');
        const created = await ctx.client.post<ViewInfo>('/views', {
          name: need(name, 'create needs a view name'),
          dataset: values.dataset,
          ...(values.view ? { view: values.view } : { code: resolve(values.code as string) }),
          ...(values.generations ? { generations: parsePositiveInt(values.generations, '--generations') } : {}),
          ...(values.every ? { recomputeEvery: parsePositiveInt(values.every, '--every') } : {}),
        });
        ctx.out(
          `created view ${created.name} over ${created.dataset} (${created.monoid} per ${created.granularity})\n`,
        );
        return 0;
      }
      case 'ls': {
        const { views: list } = await ctx.client.get<ViewList>('/views');
        if (values.json) ctx.out(prettyJson(list));
        else
          ctx.out(
            table(
              ['NAME', 'DATASET', 'MONOID', 'VERSION', 'HORIZON', 'SPEED BUCKETS', 'LAG MS', 'RECOMPUTE'],
              list.map((v) => [
                v.name,
                v.dataset,
                `${v.monoid}/${v.granularity}`,
                v.batch?.version ?? '-',
                timeText(v.batch?.horizon),
                v.speed.buckets,
                v.speed.lagMs,
                v.recompute.running ? `running ${v.recompute.jobId ?? ''}` : (v.recompute.lastError ?? 'idle'),
              ]),
            ),
          );
        return 0;
      }
      case 'show': {
        const detail = await ctx.client.get<ViewDetail>(path());
        if (values.json) ctx.out(prettyJson(detail));
        else {
          const { top, ...info } = detail;
          ctx.out(prettyJson(info));
          ctx.out(
            table(
              ['KEY', 'VALUE', 'BATCH', 'SPEED'],
              top.map((e) => [e.key, String(e.value), String(e.batch), String(e.speed)]),
            ),
          );
        }
        return 0;
      }
      case 'query': {
        const answer = await ctx.client.get<QueryAnswer>(
          path(
            `/query${query({
              key: need(key, 'query needs <name> <key>'),
              from: values.from,
              to: values.to,
              version: values.version,
            })}`,
          ),
        );
        if (values.json) ctx.out(prettyJson(answer));
        else {
          const speed = `speed ${JSON.stringify(answer.speed.value)}`;
          const parts =
            answer.batch.version === null
              ? `no batch version yet; ${speed}`
              : `batch v${answer.batch.version} ${JSON.stringify(answer.batch.value)} before ${timeText(answer.batch.horizon)} + ${speed}`;
          ctx.out(`${answer.key}\t${JSON.stringify(answer.value)}\t(${parts})\n`);
          if (answer.missing) ctx.err(`incomplete: ${answer.missing.reason}\n`);
        }
        return answer.complete ? 0 : 3;
      }
      case 'recompute': {
        const started = await ctx.client.post<RecomputeAnswer>(path('/recompute'), {
          incremental: values.incremental ?? false,
        });
        ctx.out(`recompute of ${started.view} started${started.jobId ? ` (job ${started.jobId})` : ''}\n`);
        if (!values.wait) return 0;
        return waitForSwap(ctx, path());
      }
      default:
        throw new UsageError(`unknown subcommand '${sub}'`);
    }
  },
});

/** Every command of this module. */
export const commands: Command[] = [views];

async function waitForSwap(ctx: CliContext, path: string): Promise<number> {
  for (;;) {
    const view = await ctx.client.get<ViewInfo>(path);
    if (!view.recompute.running) {
      if (view.recompute.lastError) {
        ctx.err(`recompute failed: ${view.recompute.lastError}\n`);
        return 1;
      }
      ctx.out(
        `swapped in version ${view.batch?.version} (horizon ${timeText(view.batch?.horizon)}, ${view.batch?.events} events) in ${view.recompute.lastDurationMs} ms\n`,
      );
      return 0;
    }
    await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
  }
}
