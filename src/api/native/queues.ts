import { InvalidParameterValue } from '../../shared/errors.js';
import { readJsonObject, sendJson } from '../http.js';
import type { Route, RouteContext } from '../router.js';
import type { DeletedAnswer, MessagesAnswer, QueueList } from './contract.js';

type Body = Record<string, unknown>;

/**
 * Queues under /_lambdata: GET/PUT/DELETE /queues[/:name], POST /queues/:name/messages (send),
 * GET /queues/:name/messages?max=&wait=&visibility= (receive), DELETE /queues/:name/messages/:receiptHandle.
 */
export const routes: Route[] = [
  { method: 'GET', path: '/queues', handler: listQueues },
  {
    method: 'GET',
    path: '/queues/:name',
    handler: ({ engine, res, params }) => sendJson(res, 200, engine.queues.describe(params.name as string)),
  },
  { method: 'PUT', path: '/queues/:name', handler: createQueue },
  { method: 'DELETE', path: '/queues/:name', handler: deleteQueue },
  { method: 'POST', path: '/queues/:name/messages', handler: sendMessage },
  { method: 'GET', path: '/queues/:name/messages', handler: receiveMessages },
  { method: 'DELETE', path: '/queues/:name/messages/:receiptHandle', handler: deleteMessage },
];

function listQueues({ engine, res, url }: RouteContext): void {
  const names = engine.queues.listQueues(url.searchParams.get('prefix') ?? '');
  sendJson(res, 200, { queues: names.map((n) => engine.queues.describe(n)) } satisfies QueueList);
}

/** Body: `{ fifo?, contentBasedDeduplication?, deadLetterQueue?, maxReceiveCount?, attributes? }`. */
async function createQueue({ engine, req, res, params }: RouteContext): Promise<void> {
  const body = await readJsonObject<Body>(req);
  const name = params.name as string;
  const attributes: Record<string, unknown> = { ...((body.attributes as Body | undefined) ?? {}) };
  if (body.fifo === true || name.endsWith('.fifo')) attributes.FifoQueue = 'true';
  if (body.contentBasedDeduplication !== undefined)
    attributes.ContentBasedDeduplication = String(body.contentBasedDeduplication);
  if (typeof body.deadLetterQueue === 'string') {
    const target = engine.queues.describe(engine.queues.nameOf(body.deadLetterQueue));
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: target.arn,
      maxReceiveCount: Number(body.maxReceiveCount ?? 5),
    });
  }
  for (const key of [
    'visibilityTimeout',
    'delaySeconds',
    'messageRetentionPeriod',
    'receiveMessageWaitTimeSeconds',
  ] as const) {
    if (body[key] !== undefined) attributes[key[0]?.toUpperCase() + key.slice(1)] = String(body[key]);
  }
  sendJson(res, 201, engine.queues.createQueue(name, attributes));
}

function deleteQueue({ engine, res, params }: RouteContext): void {
  engine.queues.deleteQueue(params.name as string);
  sendJson(res, 200, { deleted: params.name } satisfies DeletedAnswer);
}

/** Body: `{ body, delaySeconds?, groupId?, deduplicationId?, attributes?: { name: string } }`. */
async function sendMessage({ engine, req, res, params }: RouteContext): Promise<void> {
  const body = await readJsonObject<Body>(req);
  if (typeof body.body !== 'string') throw new InvalidParameterValue('body (string) is required');
  const attrs = body.attributes as Record<string, string> | undefined;
  const result = engine.queues.send(params.name as string, {
    body: body.body,
    delaySeconds: body.delaySeconds === undefined ? undefined : Number(body.delaySeconds),
    groupId: body.groupId as string | undefined,
    deduplicationId: body.deduplicationId as string | undefined,
    messageAttributes: attrs
      ? Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, { dataType: 'String', stringValue: String(v) }]))
      : undefined,
  });
  sendJson(res, 201, result);
}

async function receiveMessages({ engine, res, url, params }: RouteContext): Promise<void> {
  const max = Number(url.searchParams.get('max') ?? 1);
  const wait = Number(url.searchParams.get('wait') ?? 0);
  const visibility = url.searchParams.get('visibility');
  const abort = new AbortController();
  // The client went away mid long poll: stop waiting (res 'close' before the answer means a dropped connection).
  res.once('close', () => abort.abort());
  const messages = await engine.queues.receive(params.name as string, {
    maxMessages: max,
    waitSeconds: Math.min(Math.max(wait, 0), 20),
    visibilityTimeout: visibility === null ? undefined : Number(visibility),
    signal: abort.signal,
  });
  sendJson(res, 200, {
    messages: messages.map((m) => ({
      ...m,
      messageAttributes: Object.fromEntries(
        Object.entries(m.messageAttributes).map(([k, v]) => [k, v.stringValue ?? v.binaryValue?.toString('base64')]),
      ),
    })),
  } satisfies MessagesAnswer);
}

function deleteMessage({ engine, res, params }: RouteContext): void {
  engine.queues.deleteMessage(params.name as string, params.receiptHandle as string);
  sendJson(res, 200, { deleted: true });
}
