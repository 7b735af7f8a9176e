/** `lambdata dataset create|ls|show`: master datasets archiving a stream (docs/VIEWS.md). */
import type { DatasetInfo, DatasetList } from '../api/native/contract.js';
import { type Command, defineCommand, UsageError } from './command.js';
import { formatBytes, need, parsePositiveInt, prettyJson, table } from './format.js';

const USAGE = `lambdata dataset <subcommand>
  create <name> --stream S [--bucket B] [--time-field F] [--retention-days N] [--on-failure ARN]
         [--compression none|gzip]
                              archive stream S into the object store as an immutable master dataset
                              (objects plain JSON lines by default, or gzip: a fifth of the disk,
                              more CPU to archive and to recompute)
  ls [--json]                 list datasets with their size and how far each is complete
  show <name>                 a dataset with its per-shard archive positions`;

/** `lambdata dataset …` */
const dataset = defineCommand({
  name: 'dataset',
  summary: 'master datasets (Lambda Architecture): create, ls, show',
  usage: USAGE,
  options: {
    stream: { type: 'string' },
    bucket: { type: 'string' },
    'time-field': { type: 'string' },
    'retention-days': { type: 'string' },
    'on-failure': { type: 'string' },
    compression: { type: 'string' },
    json: { type: 'boolean' },
  },
  subcommandRequired: true,
  async run({ values, positionals }, ctx) {
    const [sub, name] = positionals;
    switch (sub) {
      case 'create': {
        if (!values.stream) throw new UsageError('create needs --stream');
        const body = {
          name: need(name, 'create needs a dataset name'),
          stream: values.stream,
          ...(values.bucket ? { bucket: values.bucket } : {}),
          ...(values['time-field'] ? { timeField: values['time-field'] } : {}),
          ...(values['retention-days']
            ? { retention: { days: parsePositiveInt(values['retention-days'], '--retention-days') } }
            : {}),
          ...(values['on-failure'] ? { onFailure: values['on-failure'] } : {}),
          ...(values.compression ? { compression: values.compression } : {}),
        };
        const created = await ctx.client.post<DatasetInfo>('/datasets', body);
        ctx.out(`created dataset ${created.name}: ${created.stream} → s3://${created.bucket}/${created.prefix}\n`);
        return 0;
      }
      case 'ls': {
        const { datasets } = await ctx.client.get<DatasetList>('/datasets');
        if (values.json) ctx.out(prettyJson(datasets));
        else
          ctx.out(
            table(
              ['NAME', 'STREAM', 'EVENTS', 'OBJECTS', 'BYTES', 'COMPLETE UP TO'],
              datasets.map((d) => [
                d.name,
                d.stream,
                d.events,
                d.objects,
                formatBytes(d.bytes),
                timeText(d.completeUpTo),
              ]),
            ),
          );
        return 0;
      }
      case 'show': {
        const d = await ctx.client.get<DatasetInfo>(
          `/datasets/${encodeURIComponent(need(name, 'show needs a dataset name'))}`,
        );
        ctx.out(prettyJson(d));
        return 0;
      }
      default:
        throw new UsageError(`unknown subcommand '${sub}'`);
    }
  },
});

/** Every command of this module. */
export const commands: Command[] = [dataset];

/** An event time for tables ('-' before any). */
export function timeText(ms: number | null | undefined): string {
  return ms ? new Date(ms).toISOString() : '-';
}
