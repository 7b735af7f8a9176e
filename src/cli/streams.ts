/** `lambdata streams create|ls|describe|rm|put|tail`: Kinesis-like streams through the native API. */
import type { PutRecordAnswer, StreamList, StreamRecordJson } from '../api/native/contract.js';
import { type CliContext, type Command, defineCommand, UsageError } from './command.js';
import { need, prettyJson, untilInterrupted } from './format.js';

const USAGE = `lambdata streams <subcommand>
  create <name> [--shards N]            create a stream (default 1 shard)
  ls                                    list streams
  describe <name>                       shards, record counts and age of the newest record
  rm <name>                             delete a stream and its records
  put <name> <data> [--key pk]          append one record (data as UTF-8 text)
  tail <name> [--from trim|latest]      print records as they arrive (Ctrl-C to stop)`;

/** `lambdata streams …` */
const streams = defineCommand({
  name: 'streams',
  summary: 'Kinesis-like streams: create, ls, describe, rm, put, tail',
  usage: USAGE,
  options: {
    shards: { type: 'string' },
    key: { type: 'string', short: 'k' },
    from: { type: 'string' },
    json: { type: 'boolean' },
  },
  subcommandRequired: true,
  async run({ values, positionals }, ctx) {
    const [sub, name, data] = positionals;
    const path = (suffix = '') => `/streams/${encodeURIComponent(need(name, `${sub} needs a stream name`))}${suffix}`;
    switch (sub) {
      case 'create': {
        const shards = values.shards === undefined ? 1 : Number(values.shards);
        if (!Number.isInteger(shards) || shards < 1) throw new UsageError('--shards must be a positive integer');
        await ctx.client.post('/streams', { name: need(name, 'create needs a stream name'), shards });
        ctx.out(`created stream ${name} with ${shards} shard${shards === 1 ? '' : 's'}\n`);
        return 0;
      }
      case 'ls': {
        const { streams: list } = await ctx.client.get<StreamList>('/streams');
        if (values.json) ctx.out(prettyJson(list));
        else for (const s of list) ctx.out(`${s.name}\t${s.openShards} shards\t${s.retentionHours}h retention\n`);
        return 0;
      }
      case 'describe': {
        ctx.out(prettyJson(await ctx.client.get(path())));
        return 0;
      }
      case 'rm': {
        await ctx.client.delete(path());
        ctx.out(`deleted stream ${name}\n`);
        return 0;
      }
      case 'put': {
        if (data === undefined) throw new UsageError('put needs <name> <data>');
        const out = await ctx.client.post<PutRecordAnswer>(path('/records'), {
          data,
          ...(values.key ? { partitionKey: values.key } : {}),
        });
        ctx.out(`${out.shardId}\t${out.sequenceNumber}\n`);
        return 0;
      }
      case 'tail':
        return tail(ctx, path(`/tail?from=${tailFrom(values.from)}`), values.json ?? false);
      default:
        throw new UsageError(`unknown subcommand '${sub}'`);
    }
  },
});

/** Every command of this module. */
export const commands: Command[] = [streams];

async function tail(ctx: CliContext, path: string, json: boolean): Promise<number> {
  await untilInterrupted((signal) =>
    ctx.client.stream(
      path,
      (event, data) => {
        if (event === 'end') return false;
        if (event !== 'record') return true;
        const r = data as StreamRecordJson;
        ctx.out(json ? `${JSON.stringify(r)}\n` : `${r.shardId}\t${r.sequenceNumber}\t${r.partitionKey}\t${r.text}\n`);
        return true;
      },
      signal,
    ),
  );
  return 0;
}

function tailFrom(from: string | undefined): string {
  if (from === undefined || from === 'latest') return 'latest';
  if (from === 'trim' || from === 'trim-horizon') return 'trim';
  throw new UsageError('--from must be trim or latest');
}
