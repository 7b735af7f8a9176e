import { functionArn } from '../../shared/arn.js';
import { InvalidParameterValue } from '../../shared/errors.js';
import type { SubscriptionInfo } from '../../storage/topics/index.js';
import { readJsonObject, sendJson } from '../http.js';
import type { Route, RouteContext } from '../router.js';
import type {
  CreateTopicRequest,
  DeletedAnswer,
  PublishAnswer,
  PublishRequest,
  SubscribeRequest,
  SubscriptionList,
  SubscriptionView,
  TopicList,
  TopicView,
} from './contract.js';

/**
 * Topics under /_lambdata: GET /topics, PUT/DELETE /topics/:name, POST /topics/:name/messages (publish),
 * GET/POST /topics/:name/subscriptions, DELETE /subscriptions/:arn.
 */
export const routes: Route[] = [
  { method: 'GET', path: '/topics', handler: listTopics },
  { method: 'PUT', path: '/topics/:name', handler: createTopic },
  { method: 'DELETE', path: '/topics/:name', handler: deleteTopic },
  { method: 'POST', path: '/topics/:name/messages', handler: publish },
  { method: 'GET', path: '/topics/:name/subscriptions', handler: listSubscriptions },
  { method: 'POST', path: '/topics/:name/subscriptions', handler: subscribe },
  { method: 'DELETE', path: '/subscriptions/:arn', handler: unsubscribe },
];

function listTopics({ engine, res }: RouteContext): void {
  const topics = engine.topics.listTopics().map((t) => view(engine, t.arn));
  sendJson(res, 200, { topics } satisfies TopicList);
}

async function createTopic({ engine, req, res, params }: RouteContext): Promise<void> {
  const body = await readJsonObject<CreateTopicRequest>(req);
  const name = params.name as string;
  const attributes: Record<string, string> = {};
  if (body.fifo === true || name.endsWith('.fifo')) attributes.FifoTopic = 'true';
  if (body.contentBasedDeduplication !== undefined) {
    attributes.ContentBasedDeduplication = String(body.contentBasedDeduplication === true);
  }
  if (typeof body.displayName === 'string') attributes.DisplayName = body.displayName;
  const topic = engine.topics.createTopic(name, attributes);
  sendJson(res, 201, view(engine, topic.arn));
}

function deleteTopic({ engine, res, params }: RouteContext): void {
  const arn = engine.topics.topic(engine.topics.topicArn(params.name as string)).arn;
  engine.topics.deleteTopic(arn);
  sendJson(res, 200, { deleted: params.name } satisfies DeletedAnswer);
}

async function publish({ engine, req, res, params }: RouteContext): Promise<void> {
  const body = await readJsonObject<PublishRequest>(req);
  if (typeof body.message !== 'string') throw new InvalidParameterValue('message (string) is required');
  const attributes = body.attributes
    ? Object.fromEntries(
        Object.entries(body.attributes).map(([k, v]) => [k, { dataType: 'String', stringValue: String(v) }]),
      )
    : undefined;
  const result = await engine.topicPublisher.publish({
    topicArn: engine.topics.topicArn(params.name as string),
    message: body.message,
    ...(typeof body.subject === 'string' ? { subject: body.subject } : {}),
    ...(attributes ? { attributes } : {}),
    ...(typeof body.groupId === 'string' ? { groupId: body.groupId } : {}),
    ...(typeof body.deduplicationId === 'string' ? { deduplicationId: body.deduplicationId } : {}),
  });
  sendJson(res, 201, result satisfies PublishAnswer);
}

function listSubscriptions({ engine, res, params }: RouteContext): void {
  const subs = engine.topics.listSubscriptions(engine.topics.topicArn(params.name as string));
  sendJson(res, 200, { subscriptions: subs.map(subscriptionView) } satisfies SubscriptionList);
}

async function subscribe({ engine, req, res, params }: RouteContext): Promise<void> {
  const body = await readJsonObject<SubscribeRequest>(req);
  if (typeof body.protocol !== 'string' || typeof body.endpoint !== 'string') {
    throw new InvalidParameterValue('protocol and endpoint (strings) are required');
  }
  const { region } = engine.context;
  let endpoint = body.endpoint;
  if (body.protocol === 'lambda' && !endpoint.startsWith('arn:')) endpoint = functionArn(region, endpoint);
  if (body.protocol === 'sqs' && !endpoint.startsWith('arn:')) endpoint = engine.queues.queueArn(endpoint);
  const attributes: Record<string, string> = {};
  if (body.rawMessageDelivery) attributes.RawMessageDelivery = 'true';
  if (typeof body.filterPolicy === 'string') attributes.FilterPolicy = body.filterPolicy;
  if (typeof body.filterPolicyScope === 'string') attributes.FilterPolicyScope = body.filterPolicyScope;
  if (typeof body.deadLetterQueue === 'string') {
    const dlq = body.deadLetterQueue;
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: dlq.startsWith('arn:') ? dlq : engine.queues.queueArn(dlq),
    });
  }
  const sub = engine.topicPublisher.subscribe(
    engine.topics.topicArn(params.name as string),
    body.protocol,
    endpoint,
    attributes,
  );
  sendJson(res, 201, subscriptionView(sub));
}

function unsubscribe({ engine, res, params }: RouteContext): void {
  engine.topics.unsubscribe(params.arn as string);
  sendJson(res, 200, { deleted: params.arn } satisfies DeletedAnswer);
}

function view(engine: RouteContext['engine'], arn: string): TopicView {
  const topic = engine.topics.topic(arn);
  return {
    name: topic.name,
    arn: topic.arn,
    fifo: topic.fifo,
    attributes: topic.attributes,
    subscriptions: engine.topics.subscriptionCounts(topic.name),
  };
}

function subscriptionView(sub: SubscriptionInfo): SubscriptionView {
  return {
    arn: sub.arn,
    topicArn: sub.topicArn,
    protocol: sub.protocol,
    endpoint: sub.endpoint,
    attributes: sub.attributes,
    confirmed: sub.confirmed,
  };
}
