import type { CreateMappingRequest, MappingList, MappingView, Schedule, ScheduleList } from '../api/native/contract.js';
import { type Command, defineCommand, UsageError } from './command.js';
import { keyValues, parsePositiveInt, prettyJson, query, table } from './format.js';

const MAPPINGS_USAGE = [
  'lambdata mappings create --function f (--stream s | --table t | --queue q) [--batch-size N] [--window s]',
  '         [--starting-position TRIM_HORIZON|LATEST] [--parallelization N] [--bisect] [--report-failures] [--max-retries N]',
  '         [--max-age SECONDS] [--tumbling-window SECONDS]',
  '       lambdata mappings ls [--function f] [--json] | show <uuid> [--json] | enable <uuid> | disable <uuid> | rm <uuid>',
].join('\n');
const SCHEDULE_USAGE =
  "lambdata schedule add <name> '<rate(…)|cron(…)>' --function f [--input json] | ls [--json] | rm <name>";

/** `lambdata mappings …`: event source mappings from streams, tables and queues. */
const mappings = defineCommand({
  name: 'mappings',
  summary: 'Create, list, show, enable, disable or remove event source mappings',
  usage: MAPPINGS_USAGE,
  options: {
    function: { type: 'string' },
    stream: { type: 'string' },
    table: { type: 'string' },
    queue: { type: 'string' },
    'batch-size': { type: 'string' },
    window: { type: 'string' },
    'starting-position': { type: 'string' },
    parallelization: { type: 'string' },
    bisect: { type: 'boolean' },
    'report-failures': { type: 'boolean' },
    'max-retries': { type: 'string' },
    'max-age': { type: 'string' },
    'tumbling-window': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    const [sub = 'ls', uuid, ...extra] = positionals;
    if (extra.length) throw new UsageError('too many arguments');
    if (sub === 'create') {
      if (!values.function) throw new UsageError('create needs --function');
      const sources = (['stream', 'table', 'queue'] as const).filter((k) => values[k]);
      if (sources.length !== 1) throw new UsageError('create needs exactly one of --stream, --table, --queue');
      const type = sources[0] as 'stream' | 'table' | 'queue';
      const stream = type !== 'queue';
      const body: CreateMappingRequest = {
        functionName: values.function,
        source: { type, name: values[type] as string },
      };
      if (values['batch-size']) body.batchSize = parsePositiveInt(values['batch-size'], '--batch-size');
      if (values.window)
        body.maximumBatchingWindowInSeconds = parsePositiveInt(values.window, '--window', { allowZero: true });
      const position = values['starting-position'] ?? 'TRIM_HORIZON';
      if (stream) body.startingPosition = position as CreateMappingRequest['startingPosition'];
      if (values.parallelization)
        body.parallelizationFactor = parsePositiveInt(values.parallelization, '--parallelization');
      if (values.bisect) body.bisectBatchOnFunctionError = true;
      if (values['report-failures']) body.reportBatchItemFailures = true;
      if (values['max-retries'] !== undefined) body.maximumRetryAttempts = Number(values['max-retries']);
      if (values['max-age'] !== undefined) body.maximumRecordAgeInSeconds = Number(values['max-age']);
      if (values['tumbling-window'])
        body.tumblingWindowInSeconds = parsePositiveInt(values['tumbling-window'], '--tumbling-window', {
          allowZero: true,
        });
      const view = await ctx.client.post<MappingView>('/mappings', body);
      ctx.out(values.json ? prettyJson(view) : `${view.uuid}\n`);
      return 0;
    }
    if (sub === 'ls' || sub === 'list') {
      const { mappings: rows } = await ctx.client.get<MappingList>(`/mappings${query({ function: values.function })}`);
      if (values.json) ctx.out(prettyJson(rows));
      else if (rows.length === 0) ctx.err('no mappings\n');
      else {
        ctx.out(
          table(
            ['UUID', 'FUNCTION', 'SOURCE', 'STATE', 'BATCH', 'LAG', 'LAST RESULT'],
            rows.map((m) => [
              m.uuid,
              m.functionName,
              `${m.sourceType}:${m.sourceName}`,
              m.state,
              m.batchSize,
              lagOf(m),
              m.lastProcessingResult,
            ]),
          ),
        );
      }
      return 0;
    }
    if (!uuid) throw new UsageError(`${sub} needs a mapping UUID`);
    const path = `/mappings/${encodeURIComponent(uuid)}`;
    if (sub === 'show') {
      const view = await ctx.client.get<MappingView>(path);
      if (values.json) ctx.out(prettyJson(view));
      else {
        const { status, ...config } = view;
        ctx.out(keyValues({ ...config, lag: lagOf(view), invocations: status.invocations, failures: status.failures }));
      }
      return 0;
    }
    if (sub === 'enable' || sub === 'disable') {
      const view = await ctx.client.request<MappingView>('PATCH', path, { enabled: sub === 'enable' });
      ctx.out(`${view.uuid} ${view.state}\n`);
      return 0;
    }
    if (sub === 'rm' || sub === 'delete') {
      await ctx.client.delete(path);
      ctx.out(`deleted mapping ${uuid}\n`);
      return 0;
    }
    throw new UsageError(`unknown subcommand: ${sub}`);
  },
});

/** `lambdata schedule add|ls|rm`: rate()/cron() schedules invoking a function. */
const schedule = defineCommand({
  name: 'schedule',
  summary: 'Add, list or remove rate()/cron() schedules that invoke a function',
  usage: SCHEDULE_USAGE,
  options: {
    function: { type: 'string' },
    input: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    const [sub = 'ls', name, expression, ...extra] = positionals;
    if (extra.length) throw new UsageError('too many arguments');
    if (sub === 'ls' || sub === 'list') {
      const { schedules } = await ctx.client.get<ScheduleList>('/schedules');
      if (values.json) ctx.out(prettyJson(schedules));
      else if (schedules.length === 0) ctx.err('no schedules\n');
      else {
        ctx.out(
          table(
            ['NAME', 'EXPRESSION', 'FUNCTION', 'NEXT FIRE (UTC)'],
            schedules.map((s) => [
              s.name,
              s.expression,
              s.functionName,
              s.nextFire ? new Date(s.nextFire).toISOString() : 'never',
            ]),
          ),
        );
      }
      return 0;
    }
    if (!name) throw new UsageError(`${sub} needs a schedule name`);
    if (sub === 'add') {
      if (!expression) throw new UsageError("add needs an expression, e.g. 'rate(5 minutes)'");
      if (!values.function) throw new UsageError('add needs --function');
      const added = await ctx.client.post<Schedule>('/schedules', {
        name,
        expression,
        functionName: values.function,
        input: values.input,
      });
      ctx.out(`${added.name} next fire ${added.nextFire ? new Date(added.nextFire).toISOString() : 'never'}\n`);
      return 0;
    }
    if (sub === 'rm' || sub === 'delete') {
      await ctx.client.delete(`/schedules/${encodeURIComponent(name)}`);
      ctx.out(`deleted schedule ${name}\n`);
      return 0;
    }
    throw new UsageError(`unknown subcommand: ${sub}`);
  },
});

function lagOf(m: MappingView): string {
  if (m.sourceType === 'sqs') return `${m.status.lag} msgs`;
  return `${m.status.lag} ms`;
}

/** Mapping and schedule commands. */
export const commands: Command[] = [mappings, schedule];
