import type {
  PublishAnswer,
  SubscribeRequest,
  SubscriptionList,
  SubscriptionView,
  TopicList,
  TopicView,
} from '../api/native/contract.js';
import { type Command, defineCommand, UsageError } from './command.js';
import { prettyJson, table } from './format.js';

const USAGE = [
  'lambdata topics create <name> [--fifo]',
  '       lambdata topics ls [--json]',
  '       lambdata topics rm <name>',
  '       lambdata topics publish <name> <message> [--subject s] [--attr key=value …] [--group g] [--dedup id]',
  '       lambdata topics subscribe <name> (--function f | --queue q | --url http(s)://…) [--raw] [--filter JSON] [--filter-body] [--dlq queue]',
  '       lambdata topics subscriptions <name> [--json]',
  '       lambdata topics unsubscribe <subscription-arn>',
].join('\n');

/** `lambdata topics create|ls|rm|publish|subscribe|subscriptions|unsubscribe`. */
const topics = defineCommand({
  name: 'topics',
  summary: 'Create, list, remove SNS topics; publish; subscribe functions, queues and URLs',
  usage: USAGE,
  options: {
    fifo: { type: 'boolean' },
    subject: { type: 'string' },
    attr: { type: 'string', multiple: true },
    group: { type: 'string' },
    dedup: { type: 'string' },
    function: { type: 'string' },
    queue: { type: 'string' },
    url: { type: 'string' },
    raw: { type: 'boolean' },
    filter: { type: 'string' },
    'filter-body': { type: 'boolean' },
    dlq: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    const [sub = 'ls', name, message, ...extra] = positionals;
    if (extra.length) throw new UsageError('too many arguments');
    if (sub === 'ls' || sub === 'list') {
      const { topics: rows } = await ctx.client.get<TopicList>('/topics');
      if (values.json) ctx.out(prettyJson(rows));
      else if (rows.length === 0) ctx.err('no topics\n');
      else ctx.out(table(['NAME', 'FIFO', 'CONFIRMED', 'PENDING', 'ARN'], rows.map(topicRow)));
      return 0;
    }
    if (!name) throw new UsageError(`${sub} needs a topic name`);
    if (sub === 'unsubscribe') {
      await ctx.client.delete(`/subscriptions/${encodeURIComponent(name)}`);
      ctx.out(`unsubscribed ${name}\n`);
      return 0;
    }
    const path = `/topics/${encodeURIComponent(name)}`;
    if (sub === 'create') {
      const topic = await ctx.client.put<TopicView>(path, {
        fifo: values.fifo === true,
        ...(values.fifo ? { contentBasedDeduplication: true } : {}),
      });
      ctx.out(`${topic.arn}\n`);
      return 0;
    }
    if (sub === 'rm' || sub === 'delete') {
      await ctx.client.delete(path);
      ctx.out(`deleted topic ${name}\n`);
      return 0;
    }
    if (sub === 'publish') {
      if (message === undefined) throw new UsageError('publish needs a message');
      const published = await ctx.client.post<PublishAnswer>(`${path}/messages`, {
        message,
        ...(values.subject ? { subject: values.subject } : {}),
        ...(values.attr?.length ? { attributes: parseAttributes(values.attr) } : {}),
        ...(values.group ? { groupId: values.group } : {}),
        ...(values.dedup ? { deduplicationId: values.dedup } : {}),
      });
      ctx.out(`${published.messageId}${published.sequenceNumber ? ` ${published.sequenceNumber}` : ''}\n`);
      return 0;
    }
    if (sub === 'subscribe') {
      const request = subscribeRequest(values);
      const view = await ctx.client.post<SubscriptionView>(`${path}/subscriptions`, request);
      ctx.out(`${view.arn}${view.confirmed ? '' : ' (pending confirmation)'}\n`);
      return 0;
    }
    if (sub === 'subscriptions' || sub === 'subs') {
      const { subscriptions } = await ctx.client.get<SubscriptionList>(`${path}/subscriptions`);
      if (values.json) ctx.out(prettyJson(subscriptions));
      else if (subscriptions.length === 0) ctx.err('no subscriptions\n');
      else {
        ctx.out(
          table(
            ['PROTOCOL', 'ENDPOINT', 'STATE', 'RAW', 'FILTER', 'ARN'],
            subscriptions.map((s) => [
              s.protocol,
              s.endpoint,
              s.confirmed ? 'confirmed' : 'pending',
              s.attributes.RawMessageDelivery === 'true' ? 'yes' : 'no',
              s.attributes.FilterPolicy ?? '-',
              s.arn,
            ]),
          ),
        );
      }
      return 0;
    }
    throw new UsageError(`unknown subcommand: ${sub}`);
  },
});

function topicRow(t: TopicView): Array<string | number> {
  return [t.name, t.fifo ? 'yes' : 'no', t.subscriptions.confirmed, t.subscriptions.pending, t.arn];
}

function subscribeRequest(values: {
  function?: string;
  queue?: string;
  url?: string;
  raw?: boolean;
  filter?: string;
  'filter-body'?: boolean;
  dlq?: string;
}): SubscribeRequest {
  const targets = [values.function, values.queue, values.url].filter((v) => v !== undefined);
  if (targets.length !== 1) throw new UsageError('subscribe needs exactly one of --function, --queue, --url');
  let request: SubscribeRequest;
  if (values.function) request = { protocol: 'lambda', endpoint: values.function };
  else if (values.queue) request = { protocol: 'sqs', endpoint: values.queue };
  else {
    const url = values.url as string;
    if (!/^https?:\/\//.test(url)) throw new UsageError('--url must start with http:// or https://');
    request = { protocol: url.startsWith('https:') ? 'https' : 'http', endpoint: url };
  }
  if (values.raw) request.rawMessageDelivery = true;
  if (values.filter) {
    try {
      JSON.parse(values.filter);
    } catch (err) {
      throw new UsageError(`--filter must be a JSON filter policy (${(err as Error).message})`);
    }
    request.filterPolicy = values.filter;
  }
  if (values['filter-body']) request.filterPolicyScope = 'MessageBody';
  if (values.dlq) request.deadLetterQueue = values.dlq;
  return request;
}

function parseAttributes(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new UsageError(`--attr ${pair}: expected key=value`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** Topic commands. */
export const commands: Command[] = [topics];
