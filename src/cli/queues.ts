import type { MessagesAnswer, QueueInfo, QueueList, SendResult } from '../api/native/contract.js';
import { type CliContext, type Command, defineCommand, UsageError } from './command.js';
import { parsePositiveInt, prettyJson, table } from './format.js';

const USAGE = [
  'lambdata queues create <name> [--fifo] [--dlq <name> --max-receives N] [--visibility s]',
  '       lambdata queues ls [--json]',
  '       lambdata queues rm <name>',
  '       lambdata queues send <name> <body> [--group g] [--dedup id] [--delay s]',
  '       lambdata queues receive <name> [--max N] [--wait s] [--delete] [--json]',
].join('\n');

/** `lambdata queues create|ls|rm|send|receive`. */
const queues = defineCommand({
  name: 'queues',
  summary: 'Create, list, remove queues; send and receive messages',
  usage: USAGE,
  options: {
    fifo: { type: 'boolean' },
    dlq: { type: 'string' },
    'max-receives': { type: 'string' },
    visibility: { type: 'string' },
    group: { type: 'string' },
    dedup: { type: 'string' },
    delay: { type: 'string' },
    max: { type: 'string' },
    wait: { type: 'string' },
    delete: { type: 'boolean' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    const [sub = 'ls', name, body, ...extra] = positionals;
    if (extra.length) throw new UsageError('too many arguments');
    if (sub === 'ls' || sub === 'list') {
      const { queues: rows } = await ctx.client.get<QueueList>('/queues');
      if (values.json) ctx.out(prettyJson(rows));
      else if (rows.length === 0) ctx.err('no queues\n');
      else {
        ctx.out(
          table(
            ['NAME', 'VISIBLE', 'IN FLIGHT', 'DELAYED', 'DLQ', 'URL'],
            rows.map((q) => [q.name, q.depth.visible, q.depth.inFlight, q.depth.delayed, dlqOf(q), q.url]),
          ),
        );
      }
      return 0;
    }
    if (!name) throw new UsageError(`${sub} needs a queue name`);
    const path = `/queues/${encodeURIComponent(name)}`;
    if (sub === 'create') {
      if (values['max-receives'] && !values.dlq) throw new UsageError('--max-receives needs --dlq');
      // The dead-letter queue must exist before a queue can name it: create it when it is missing.
      if (values.dlq) await ensureQueue(ctx, values.dlq, values.fifo === true);
      const info = await ctx.client.put<QueueInfo>(path, {
        fifo: values.fifo === true,
        ...(values.fifo ? { contentBasedDeduplication: true } : {}),
        ...(values.dlq
          ? {
              deadLetterQueue: values.dlq,
              maxReceiveCount: parsePositiveInt(values['max-receives'] ?? '5', '--max-receives'),
            }
          : {}),
        ...(values.visibility
          ? { visibilityTimeout: parsePositiveInt(values.visibility, '--visibility', { allowZero: true }) }
          : {}),
      });
      ctx.out(`${info.url}\n`);
      return 0;
    }
    if (sub === 'rm' || sub === 'delete') {
      await ctx.client.delete(path);
      ctx.out(`deleted queue ${name}\n`);
      return 0;
    }
    if (sub === 'send') {
      if (body === undefined) throw new UsageError('send needs a message body');
      const sent = await ctx.client.post<SendResult>(`${path}/messages`, {
        body,
        ...(values.group ? { groupId: values.group } : {}),
        ...(values.dedup ? { deduplicationId: values.dedup } : {}),
        ...(values.delay ? { delaySeconds: parsePositiveInt(values.delay, '--delay', { allowZero: true }) } : {}),
      });
      ctx.out(`${sent.messageId}${sent.sequenceNumber ? ` ${sent.sequenceNumber}` : ''}\n`);
      return 0;
    }
    if (sub === 'receive') {
      const max = parsePositiveInt(values.max ?? '1', '--max');
      const wait = parsePositiveInt(values.wait ?? '0', '--wait', { allowZero: true });
      const { messages } = await ctx.client.get<MessagesAnswer>(`${path}/messages?max=${max}&wait=${wait}`);
      if (values.delete) {
        for (const m of messages) await ctx.client.delete(`${path}/messages/${encodeURIComponent(m.receiptHandle)}`);
      }
      if (values.json) ctx.out(prettyJson(messages));
      else for (const m of messages) ctx.out(`${m.body}\n`);
      if (messages.length === 0) ctx.err('no messages\n');
      return 0;
    }
    throw new UsageError(`unknown subcommand: ${sub}`);
  },
});

async function ensureQueue(ctx: CliContext, name: string, fifo: boolean): Promise<void> {
  const { queues } = await ctx.client.get<QueueList>('/queues');
  if (queues.some((q) => q.name === name)) return;
  await ctx.client.put(`/queues/${encodeURIComponent(name)}`, {
    fifo,
    ...(fifo ? { contentBasedDeduplication: true } : {}),
  });
  ctx.err(`created dead-letter queue ${name}\n`);
}

function dlqOf(q: QueueInfo): string {
  const policy = q.attributes.RedrivePolicy;
  if (!policy) return '-';
  const parsed = JSON.parse(policy) as { deadLetterTargetArn: string; maxReceiveCount: number };
  return `${parsed.deadLetterTargetArn.slice(parsed.deadLetterTargetArn.lastIndexOf(':') + 1)} after ${parsed.maxReceiveCount}`;
}

/** Queue commands. */
export const commands: Command[] = [queues];
