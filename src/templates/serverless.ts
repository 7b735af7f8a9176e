/**
 * A serverless.yml (Serverless Framework v3/v4, provider aws) as a stack plan: `provider` defaults,
 * `functions` with their `events` (s3, sqs, stream, schedule, sns; http/httpApi as function URLs)
 * and `resources.Resources` read as CloudFormation.
 */
import { TemplateInvalid } from './errors.js';
import { addMapping, addSchedule, codePath, environmentOf, optionalInt, stringList, urlOf } from './functions.js';
import { emptyPlan, type PlannedFunction, type StackPlan } from './plan.js';
import { nameInArn, type TemplateResource, TemplateResources } from './resources.js';
import type { TemplateOptions } from './sam.js';
import { resolveVariables, stageOf, type VariableSources } from './variables.js';

type Props = Record<string, unknown>;

/** The Serverless Framework's defaults for a function that sets none (larger than Lambda's own). */
const SERVERLESS_DEFAULTS = { memoryMb: 1024, timeoutS: 6, ephemeralStorageMb: 512 } as const;

/** The service and stage a serverless.yml names, for the default stack name `<service>-<stage>`. */
export function serviceOf(
  raw: Props,
  options: Pick<TemplateOptions, 'stage' | 'env' | 'site'>,
): { service: string; stage: string } {
  const sources = sourcesOf(raw, options);
  const service = resolveVariables(
    typeof raw.service === 'object' && raw.service ? (raw.service as Props).name : raw.service,
    sources,
    'service',
  );
  if (typeof service !== 'string' || !service) throw new TemplateInvalid('serverless.yml: service is missing');
  return { service, stage: stageOf(sources) };
}

/**
 * The plan of a serverless.yml document.
 * @throws TemplateInvalid naming the function, event or property at fault.
 */
export function planServerless(raw: Props, options: TemplateOptions): StackPlan {
  const sources = sourcesOf(raw, options);
  const { service, stage } = serviceOf(raw, options);
  const doc = resolveVariables(raw, { ...sources, stage }, '') as Props;
  const provider = (doc.provider ?? {}) as Props;
  if (provider.name !== undefined && provider.name !== 'aws') {
    throw new TemplateInvalid(`provider.name is ${String(provider.name)}; only aws is supported`);
  }
  const resourcesSection = ((doc.resources as Props | undefined)?.Resources ?? {}) as Record<string, TemplateResource>;
  const scope = new TemplateResources(resourcesSection, new Map(), options.site);
  const plan = emptyPlan(options.site.stack, 'serverless');
  scope.addDataResources(plan);
  const functions = (doc.functions ?? {}) as Record<string, Props>;
  if (typeof functions !== 'object' || Array.isArray(functions))
    throw new TemplateInvalid('functions must be a mapping');
  for (const [key, rawFn] of Object.entries(functions)) {
    const where = `functions.${key}`;
    const fnProps = scope.resolve(rawFn ?? {}, where) as Props;
    const fn = functionOf(key, `${service}-${stage}-${key}`, fnProps, provider, options.dir, plan);
    plan.functions.push(fn);
    const events = fnProps.events ?? [];
    if (!Array.isArray(events)) throw new TemplateInvalid(`${where}.events must be a list`);
    for (const [i, event] of events.entries()) addEvent(fn, event as Props, `${where}.events[${i}]`, i, plan);
  }
  return plan;
}

function sourcesOf(raw: Props, options: Pick<TemplateOptions, 'stage' | 'env' | 'site'>): VariableSources {
  return {
    doc: raw,
    env: options.env ?? {},
    ...(options.stage ? { stage: options.stage } : {}),
    region: options.site.region,
    accountId: options.site.accountId,
  };
}

function functionOf(
  key: string,
  defaultName: string,
  props: Props,
  provider: Props,
  dir: string,
  plan: StackPlan,
): PlannedFunction {
  const where = `functions.${key}`;
  const handler = props.handler;
  if (typeof handler !== 'string') throw new TemplateInvalid(`${where}: handler is missing`);
  const runtime = props.runtime ?? provider.runtime;
  if (typeof runtime !== 'string')
    throw new TemplateInvalid(`${where}: runtime is missing (set provider.runtime or the function's runtime)`);
  const artifact = (props.package as Props | undefined)?.artifact ?? (provider.package as Props | undefined)?.artifact;
  const fn: PlannedFunction = {
    logicalId: key,
    name: typeof props.name === 'string' ? props.name : defaultName,
    handler,
    runtime,
    environment: {
      ...environmentOf(provider.environment, 'provider.environment'),
      ...environmentOf(props.environment, `${where}.environment`),
    },
    reservedConcurrency: optionalInt(props.reservedConcurrency, `${where}.reservedConcurrency`) ?? null,
    codePath: codePath(artifact ?? '.', dir, where),
  };
  fn.memoryMb =
    optionalInt(props.memorySize ?? provider.memorySize, `${where}.memorySize`) ?? SERVERLESS_DEFAULTS.memoryMb;
  fn.timeoutS = optionalInt(props.timeout ?? provider.timeout, `${where}.timeout`) ?? SERVERLESS_DEFAULTS.timeoutS;
  fn.ephemeralStorageMb =
    optionalInt(props.ephemeralStorageSize ?? provider.ephemeralStorageSize, `${where}.ephemeralStorageSize`) ??
    SERVERLESS_DEFAULTS.ephemeralStorageMb;
  fn.description = typeof props.description === 'string' ? props.description : '';
  const layers = props.layers ?? provider.layers;
  if (Array.isArray(layers) && layers.length > 0)
    plan.warnings.push(`${where}: layers are ignored (package what the function needs with its code)`);
  if (props.url) {
    const url = props.url === true ? {} : (props.url as Props);
    fn.url = urlOf(
      { AuthType: url.authorizer === 'aws_iam' ? 'AWS_IAM' : 'NONE', Cors: url.cors === true ? {} : url.cors },
      `${where}.url`,
    );
  }
  return fn;
}

function addEvent(fn: PlannedFunction, event: Props, where: string, index: number, plan: StackPlan): void {
  const entries = event && typeof event === 'object' ? Object.entries(event) : [];
  const [type, config] = entries[0] ?? [];
  if (entries.length !== 1 || !type) throw new TemplateInvalid(`${where} must be a mapping of one event type`);
  const props = (config && typeof config === 'object' ? config : {}) as Props;
  const here = `${where}.${type}`;
  switch (type) {
    case 's3': {
      const bucket = typeof config === 'string' ? config : props.bucket;
      if (typeof bucket !== 'string') throw new TemplateInvalid(`${here}: bucket is missing`);
      if (!plan.buckets.some((b) => b.name === bucket) && props.existing !== true) {
        plan.buckets.push({ logicalId: `S3Bucket${bucket.replace(/[^A-Za-z0-9]/g, '')}`, name: bucket });
      }
      const rules = (Array.isArray(props.rules) ? props.rules : []) as Props[];
      const prefix = rules.find((r) => r.prefix !== undefined)?.prefix;
      const suffix = rules.find((r) => r.suffix !== undefined)?.suffix;
      plan.notifications.push({
        bucket,
        function: fn.name,
        events: props.event === undefined ? ['s3:ObjectCreated:*'] : stringList(props.event, `${here}.event`),
        ...(prefix !== undefined ? { prefix: String(prefix) } : {}),
        ...(suffix !== undefined ? { suffix: String(suffix) } : {}),
      });
      return;
    }
    case 'sqs':
      addMapping(fn, 'queue', typeof config === 'string' ? config : props.arn, props, `${here}.arn`, plan);
      return;
    case 'stream': {
      const arn = typeof config === 'string' ? config : props.arn;
      const { service } = nameInArn(arn, `${here}.arn`);
      addMapping(fn, service === 'dynamodb' ? 'table' : 'stream', arn, props, `${here}.arn`, plan);
      return;
    }
    case 'schedule': {
      if (props.enabled === false) return;
      const rates = typeof config === 'string' ? [config] : stringList(props.rate, `${here}.rate`);
      for (const [i, rate] of rates.entries()) {
        const id = `schedule${index}${rates.length > 1 ? `-${i}` : ''}`;
        addSchedule(plan, fn, id, rate, props.input, rates.length > 1 ? undefined : props.name, here);
      }
      return;
    }
    case 'sns': {
      const target = typeof config === 'string' ? config : (props.arn ?? props.topicName);
      if (typeof target !== 'string') throw new TemplateInvalid(`${here}: give a topic name or arn`);
      const topic = target.startsWith('arn:') ? nameInArn(target, here).name : target;
      if (!target.startsWith('arn:') && !plan.topics.some((t) => t.name === topic)) {
        plan.topics.push({ logicalId: `SNSTopic${topic.replace(/[^A-Za-z0-9]/g, '')}`, name: topic });
      }
      plan.subscriptions.push({ topic, function: fn.name });
      return;
    }
    case 'http':
    case 'httpApi':
      fn.url ??= { authType: 'NONE' };
      plan.warnings.push(`${here}: served on the function's URL (every path and method reaches the function)`);
      return;
    default:
      plan.warnings.push(`${here}: events of type ${type} are not supported and were not deployed`);
  }
}
