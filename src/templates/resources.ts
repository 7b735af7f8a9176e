/**
 * The resources of a CloudFormation (or SAM) Resources section: their physical names, what `Ref`
 * and `Fn::GetAtt` of each give, the order-free check for cycles between them, and the plan entries
 * of the data resources (buckets, queues, streams, tables, topics).
 */
import { TemplateInvalid } from './errors.js';
import { type IntrinsicScope, referencesOf, resolveIntrinsics } from './intrinsics.js';
import type { PlannedTable, StackPlan } from './plan.js';

/** Where the stack is deployed: what pseudo parameters and ARNs say. */
export interface StackSite {
  stack: string;
  region: string;
  accountId: string;
  /** The server's URL (queue URLs and function URLs start with it). */
  endpoint: string;
}

/** A resource as the template declares it. */
export interface TemplateResource {
  Type?: unknown;
  Properties?: unknown;
  DependsOn?: unknown;
}

type Kind = 'function' | 'bucket' | 'queue' | 'stream' | 'table' | 'topic' | 'url' | 'mapping' | 'subscription';

/** The resource types lambdata deploys, and the property naming each one's physical name. */
const TYPES: Record<string, { kind: Kind; nameProperty?: string }> = {
  'AWS::Serverless::Function': { kind: 'function', nameProperty: 'FunctionName' },
  'AWS::Lambda::Function': { kind: 'function', nameProperty: 'FunctionName' },
  'AWS::S3::Bucket': { kind: 'bucket', nameProperty: 'BucketName' },
  'AWS::SQS::Queue': { kind: 'queue', nameProperty: 'QueueName' },
  'AWS::Kinesis::Stream': { kind: 'stream', nameProperty: 'Name' },
  'AWS::DynamoDB::Table': { kind: 'table', nameProperty: 'TableName' },
  'AWS::SNS::Topic': { kind: 'topic', nameProperty: 'TopicName' },
  'AWS::Lambda::Url': { kind: 'url' },
  'AWS::Lambda::EventSourceMapping': { kind: 'mapping' },
  'AWS::SNS::Subscription': { kind: 'subscription' },
};

/** SAM's implicit resource for a function's FunctionUrlConfig (`<Function>Url`), for `!GetAtt <Function>Url.FunctionUrl`. */
const URL_SUFFIX = 'Url';

/** The resources of one template, with the intrinsic scope that resolves names against them. */
export class TemplateResources implements IntrinsicScope {
  readonly mappings: Record<string, unknown>;
  #resources: Record<string, TemplateResource>;
  #parameters: Map<string, unknown>;
  #site: StackSite;
  #names = new Map<string, string>();

  /**
   * @throws TemplateInvalid for a resource without a Type, or a cycle of references between resources.
   */
  constructor(
    resources: Record<string, TemplateResource>,
    parameters: Map<string, unknown>,
    site: StackSite,
    mappings: Record<string, unknown> = {},
  ) {
    this.#resources = resources;
    this.#site = site;
    this.mappings = mappings;
    this.#parameters = new Map([
      ['AWS::Region', site.region],
      ['AWS::AccountId', site.accountId],
      ['AWS::StackName', site.stack],
      ['AWS::StackId', `arn:aws:cloudformation:${site.region}:${site.accountId}:stack/${site.stack}/lambdata`],
      ['AWS::Partition', 'aws'],
      ['AWS::URLSuffix', 'amazonaws.com'],
      ['AWS::NotificationARNs', []],
      ...parameters,
    ]);
    for (const [id, resource] of Object.entries(resources)) {
      if (!resource || typeof resource !== 'object' || typeof resource.Type !== 'string') {
        throw new TemplateInvalid(`Resource ${id} has no Type`);
      }
    }
    checkCycles(resources);
  }

  /** Logical ids with their types. */
  entries(): Array<[string, TemplateResource & { Type: string }]> {
    return Object.entries(this.#resources) as Array<[string, TemplateResource & { Type: string }]>;
  }

  /** Whether lambdata deploys resources of this type. */
  static supports(type: string): boolean {
    return type in TYPES;
  }

  /** A resource's Properties with every intrinsic resolved. */
  properties(logicalId: string): Record<string, unknown> {
    const props = this.#resources[logicalId]?.Properties ?? {};
    const resolved = resolveIntrinsics(props, this, `Resources.${logicalId}.Properties`);
    if (!resolved || typeof resolved !== 'object' || Array.isArray(resolved)) {
      throw new TemplateInvalid(`Resources.${logicalId}.Properties must be a mapping`);
    }
    return resolved as Record<string, unknown>;
  }

  /** A value resolved in this template's scope. */
  resolve(value: unknown, where: string): unknown {
    return resolveIntrinsics(value, this, where);
  }

  parameter(name: string): unknown {
    return this.#parameters.get(name);
  }

  ref(logicalId: string): unknown {
    const resource = this.#resources[logicalId];
    if (!resource) return undefined;
    const kind = TYPES[resource.Type as string]?.kind;
    const name = this.physicalName(logicalId);
    if (kind === 'queue') return this.queueUrl(name);
    if (kind === 'topic') return this.arn('sns', name);
    return name;
  }

  attribute(logicalId: string, attribute: string, where: string): unknown {
    const resource = this.#resources[logicalId];
    if (!resource && logicalId.endsWith(URL_SUFFIX) && attribute === 'FunctionUrl') {
      const fn = logicalId.slice(0, -URL_SUFFIX.length);
      if (this.#resources[fn]) return this.functionUrl(this.physicalName(fn));
    }
    if (!resource)
      throw new TemplateInvalid(`${where}: Fn::GetAtt names ${logicalId}, which is no resource of the template`);
    const kind = TYPES[resource.Type as string]?.kind;
    const name = kind ? this.physicalName(logicalId) : logicalId;
    const value = attributeOf(kind, attribute, name, this);
    if (value === undefined) {
      throw new TemplateInvalid(`${where}: ${logicalId} (${String(resource.Type)}) has no attribute ${attribute} here`);
    }
    return value;
  }

  /** The name a resource gets: its name property, or `<stack>-<logicalId>` (lowercase for buckets, `.fifo` kept for FIFO queues and topics). */
  physicalName(logicalId: string): string {
    const known = this.#names.get(logicalId);
    if (known) return known;
    const resource = this.#resources[logicalId];
    const type = TYPES[resource?.Type as string];
    const props = (resource?.Properties ?? {}) as Record<string, unknown>;
    const where = `Resources.${logicalId}.Properties`;
    let name: string;
    if (type?.nameProperty && props[type.nameProperty] !== undefined) {
      const value = resolveIntrinsics(props[type.nameProperty], this, `${where}.${type.nameProperty}`);
      if (typeof value !== 'string' || !value)
        throw new TemplateInvalid(`${where}.${type.nameProperty} must be a string`);
      name = value;
    } else {
      name = `${this.#site.stack}-${logicalId}`;
      if (type?.kind === 'bucket') name = name.toLowerCase();
      const fifo = type?.kind === 'queue' ? props.FifoQueue : type?.kind === 'topic' ? props.FifoTopic : undefined;
      if (fifo === true || fifo === 'true') name += '.fifo';
    }
    this.#names.set(logicalId, name);
    return name;
  }

  /** The URL of a queue by name, as the server answers it. */
  queueUrl(name: string): string {
    return `${this.#site.endpoint.replace(/\/$/, '')}/${this.#site.accountId}/${name}`;
  }

  /** The URL a function's requests reach it on. */
  functionUrl(functionName: string): string {
    return `${this.#site.endpoint.replace(/\/$/, '')}/_lambdata/url/${encodeURIComponent(functionName)}/`;
  }

  /** An ARN in this stack's region and account. */
  arn(service: string, rest: string): string {
    return `arn:aws:${service}:${this.#site.region}:${this.#site.accountId}:${rest}`;
  }

  /**
   * Adds the data resources (buckets, queues, streams, tables, topics) to `plan`, and lists the
   * resource types lambdata does not deploy as one warning.
   */
  addDataResources(plan: StackPlan): void {
    const skipped: string[] = [];
    for (const [id, resource] of this.entries()) {
      const kind = TYPES[resource.Type]?.kind;
      if (!kind) {
        skipped.push(`${id} (${resource.Type})`);
        continue;
      }
      const name = () => this.physicalName(id);
      if (kind === 'bucket') plan.buckets.push({ logicalId: id, name: name() });
      else if (kind === 'topic') plan.topics.push({ logicalId: id, name: name() });
      else if (kind === 'stream') {
        const shardCount = Number(this.properties(id).ShardCount ?? 1);
        if (!Number.isInteger(shardCount) || shardCount < 1) {
          throw new TemplateInvalid(`Resources.${id}.Properties.ShardCount must be a positive integer`);
        }
        plan.streams.push({ logicalId: id, name: name(), shardCount });
      } else if (kind === 'queue')
        plan.queues.push({ logicalId: id, name: name(), attributes: queueAttributes(this.properties(id)) });
      else if (kind === 'table') plan.tables.push(tableOf(id, name(), this.properties(id)));
    }
    if (skipped.length) {
      plan.warnings.push(`Not deployed (no local equivalent, or not supported): ${skipped.join(', ')}`);
    }
  }
}

/**
 * The name an event source ARN names, with its type: a Kinesis stream, a DynamoDB table's stream,
 * an SQS queue, an SNS topic, an S3 bucket or a Lambda function.
 * @throws TemplateInvalid naming `where` when `arn` is none of these.
 */
export function nameInArn(arn: unknown, where: string): { service: string; name: string } {
  const text = typeof arn === 'string' ? arn : '';
  const m = /^arn:aws[\w-]*:(kinesis|dynamodb|sqs|sns|s3|lambda):[^:]*:[^:]*:(.+)$/.exec(text);
  const rest = m?.[2] ?? '';
  const service = m?.[1] ?? '';
  const name =
    service === 'kinesis'
      ? /^stream\/([^/]+)$/.exec(rest)?.[1]
      : service === 'dynamodb'
        ? /^table\/([^/]+)(\/stream\/.*)?$/.exec(rest)?.[1]
        : service === 'lambda'
          ? /^function:([^:]+)/.exec(rest)?.[1]
          : service
            ? rest
            : undefined;
  if (!name)
    throw new TemplateInvalid(
      `${where}: ${JSON.stringify(arn)} is not the ARN of a stream, table, queue, topic, bucket or function`,
    );
  return { service, name };
}

function attributeOf(kind: Kind | undefined, attribute: string, name: string, resources: TemplateResources): unknown {
  switch (kind) {
    case 'function':
      return attribute === 'Arn' ? resources.arn('lambda', `function:${name}`) : undefined;
    case 'bucket':
      if (attribute === 'Arn') return `arn:aws:s3:::${name}`;
      return attribute === 'DomainName' || attribute === 'RegionalDomainName' ? `${name}.s3.amazonaws.com` : undefined;
    case 'queue':
      if (attribute === 'Arn') return resources.arn('sqs', name);
      if (attribute === 'QueueName') return name;
      return attribute === 'QueueUrl' ? resources.queueUrl(name) : undefined;
    case 'stream':
      return attribute === 'Arn' ? resources.arn('kinesis', `stream/${name}`) : undefined;
    case 'table':
      if (attribute === 'Arn') return resources.arn('dynamodb', `table/${name}`);
      return attribute === 'StreamArn' ? resources.arn('dynamodb', `table/${name}/stream/latest`) : undefined;
    case 'topic':
      if (attribute === 'TopicArn') return resources.arn('sns', name);
      return attribute === 'TopicName' ? name : undefined;
    case 'url':
      return undefined;
    default:
      return undefined;
  }
}

/** Finds a cycle of references (Ref, GetAtt, Sub, DependsOn) between resources. @throws TemplateInvalid naming it */
function checkCycles(resources: Record<string, TemplateResource>): void {
  const edges = new Map<string, string[]>();
  for (const [id, resource] of Object.entries(resources)) {
    const refs = referencesOf(resource.Properties);
    const depends = Array.isArray(resource.DependsOn)
      ? resource.DependsOn
      : resource.DependsOn
        ? [resource.DependsOn]
        : [];
    for (const d of depends) if (typeof d === 'string') refs.add(d);
    edges.set(
      id,
      [...refs].filter((ref) => ref in resources),
    );
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(id)), id];
      throw new TemplateInvalid(`Circular dependency between resources: ${cycle.join(' → ')}`);
    }
    state.set(id, 'visiting');
    stack.push(id);
    for (const next of edges.get(id) ?? []) visit(next);
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of edges.keys()) visit(id);
}

function queueAttributes(props: Record<string, unknown>): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const key of [
    'VisibilityTimeout',
    'MessageRetentionPeriod',
    'DelaySeconds',
    'MaximumMessageSize',
    'ReceiveMessageWaitTimeSeconds',
    'FifoQueue',
    'ContentBasedDeduplication',
  ]) {
    if (props[key] !== undefined) attributes[key] = String(props[key]);
  }
  if (props.RedrivePolicy && typeof props.RedrivePolicy === 'object')
    attributes.RedrivePolicy = JSON.stringify(props.RedrivePolicy);
  return attributes;
}

function tableOf(logicalId: string, name: string, props: Record<string, unknown>): PlannedTable {
  const where = `Resources.${logicalId}.Properties`;
  const keySchema = (props.KeySchema ?? []) as Array<{ AttributeName?: string; KeyType?: string }>;
  const attributes = (props.AttributeDefinitions ?? []) as Array<{ AttributeName?: string; AttributeType?: string }>;
  if (!Array.isArray(keySchema) || keySchema.length === 0) throw new TemplateInvalid(`${where}.KeySchema is required`);
  if (!Array.isArray(attributes)) throw new TemplateInvalid(`${where}.AttributeDefinitions must be a list`);
  const table: PlannedTable = {
    logicalId,
    name,
    keySchema: keySchema.map((k) => ({
      attributeName: String(k.AttributeName),
      keyType: k.KeyType === 'RANGE' ? 'RANGE' : 'HASH',
    })),
    attributeDefinitions: attributes.map((a) => ({
      attributeName: String(a.AttributeName),
      attributeType: (['S', 'N', 'B'].includes(String(a.AttributeType)) ? a.AttributeType : 'S') as 'S' | 'N' | 'B',
    })),
  };
  const stream = props.StreamSpecification as { StreamViewType?: string } | undefined;
  if (stream?.StreamViewType) table.streamViewType = stream.StreamViewType as PlannedTable['streamViewType'];
  const ttl = props.TimeToLiveSpecification as { AttributeName?: string; Enabled?: unknown } | undefined;
  if (ttl?.AttributeName && (ttl.Enabled === true || ttl.Enabled === 'true'))
    table.timeToLiveAttribute = ttl.AttributeName;
  return table;
}
