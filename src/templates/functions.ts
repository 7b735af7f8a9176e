/**
 * Reading a function's configuration and events, once its properties are resolved: the parts SAM
 * (`AWS::Serverless::Function`) and plain CloudFormation (`AWS::Lambda::Function`) share.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { TemplateInvalid } from './errors.js';
import type { PlannedFunction, StackPlan } from './plan.js';
import { nameInArn } from './resources.js';

type Props = Record<string, unknown>;

/**
 * What CloudFormation gives a function that sets none (SAM's and Lambda's defaults), so a redeploy
 * that drops a setting puts the default back.
 */
export const SAM_DEFAULTS = { memoryMb: 128, timeoutS: 3, ephemeralStorageMb: 512, description: '' } as const;

/** A function's settings read from resolved properties; `code` is CodeUri (SAM) or Code (CloudFormation), relative to `dir`. */
export function functionOf(
  logicalId: string,
  name: string,
  props: Props,
  code: unknown,
  dir: string,
  plan: StackPlan,
): PlannedFunction {
  const where = `Resources.${logicalId}`;
  const runtime = optionalString(props.Runtime, `${where}.Runtime`);
  if (!runtime) throw new TemplateInvalid(`${where}: Runtime is missing`);
  const handler =
    optionalString(props.Handler, `${where}.Handler`) ?? (runtime.startsWith('provided') ? 'bootstrap' : undefined);
  if (!handler) throw new TemplateInvalid(`${where}: Handler is missing`);
  const fn: PlannedFunction = {
    logicalId,
    name,
    handler,
    runtime,
    environment: environmentOf((props.Environment as Props | undefined)?.Variables, `${where}.Environment.Variables`),
    reservedConcurrency:
      optionalInt(props.ReservedConcurrentExecutions, `${where}.ReservedConcurrentExecutions`) ?? null,
    codePath: codePath(code, dir, where),
    memoryMb: optionalInt(props.MemorySize, `${where}.MemorySize`) ?? SAM_DEFAULTS.memoryMb,
    timeoutS: optionalInt(props.Timeout, `${where}.Timeout`) ?? SAM_DEFAULTS.timeoutS,
    ephemeralStorageMb:
      optionalInt((props.EphemeralStorage as Props | undefined)?.Size, `${where}.EphemeralStorage.Size`) ??
      SAM_DEFAULTS.ephemeralStorageMb,
    description: optionalString(props.Description, `${where}.Description`) ?? SAM_DEFAULTS.description,
  };
  // SAM names it DeadLetterQueue ({ Type, TargetArn }), CloudFormation DeadLetterConfig ({ TargetArn }).
  const deadLetter = (props.DeadLetterQueue ?? props.DeadLetterConfig) as Props | undefined;
  const deadLetterTarget = optionalString(deadLetter?.TargetArn, `${where}.DeadLetterQueue.TargetArn`);
  if (deadLetterTarget) fn.deadLetterTargetArn = deadLetterTarget;
  if (Array.isArray(props.Layers) && props.Layers.length > 0) {
    plan.warnings.push(`${where}: Layers are ignored (package what the function needs with its code)`);
  }
  return fn;
}

/** The absolute path of a function's code: a directory or .zip relative to the template's directory. */
export function codePath(code: unknown, dir: string, where: string): string {
  if (code === undefined || code === null || code === '') {
    throw new TemplateInvalid(`${where}: CodeUri is missing (a directory or .zip relative to the template)`);
  }
  if (typeof code !== 'string') {
    throw new TemplateInvalid(
      `${where}: code in S3 or inline is not supported here; give CodeUri as a local directory or .zip`,
    );
  }
  const path = resolve(dir, code);
  if (!existsSync(path)) throw new TemplateInvalid(`${where}: its code ${code} does not exist (looked for ${path})`);
  return path;
}

/** A function URL's settings from FunctionUrlConfig / AWS::Lambda::Url properties. */
export function urlOf(config: Props, where: string): NonNullable<PlannedFunction['url']> {
  const authType = config.AuthType ?? 'NONE';
  if (authType !== 'NONE' && authType !== 'AWS_IAM')
    throw new TemplateInvalid(`${where}.AuthType must be NONE or AWS_IAM`);
  return { authType, ...(config.Cors && typeof config.Cors === 'object' ? { cors: config.Cors as Props } : {}) };
}

/**
 * Adds one SAM event of function `fn` to the plan: S3, SQS, Kinesis, DynamoDB, Schedule/ScheduleV2,
 * SNS; Api and HttpApi become the function's URL. Other types are listed as warnings.
 * @throws TemplateInvalid for a malformed event, or an S3 event on a bucket the template does not create.
 */
export function addSamEvent(fn: PlannedFunction, eventId: string, event: Props, plan: StackPlan): void {
  const where = `Resources.${fn.logicalId}.Properties.Events.${eventId}`;
  const props = (event.Properties ?? {}) as Props;
  switch (event.Type) {
    case 'S3': {
      const bucket = props.Bucket;
      if (typeof bucket !== 'string' || !plan.buckets.some((b) => b.name === bucket)) {
        throw new TemplateInvalid(`${where}.Properties.Bucket must be !Ref of an AWS::S3::Bucket of this template`);
      }
      const rules = ((props.Filter as Props | undefined)?.S3Key as Props | undefined)?.Rules;
      plan.notifications.push({
        bucket,
        function: fn.name,
        events: stringList(props.Events, `${where}.Properties.Events`),
        ...s3Rules(rules, `${where}.Properties.Filter.S3Key.Rules`),
      });
      return;
    }
    case 'SQS':
      addMapping(fn, 'queue', props.Queue, props, `${where}.Properties.Queue`, plan);
      return;
    case 'Kinesis':
      addMapping(fn, 'stream', props.Stream, props, `${where}.Properties.Stream`, plan);
      return;
    case 'DynamoDB':
      addMapping(fn, 'table', props.Stream, props, `${where}.Properties.Stream`, plan);
      return;
    case 'Schedule':
    case 'ScheduleV2': {
      if (props.Enabled === false || props.State === 'DISABLED') return;
      const expression = props.Schedule ?? props.ScheduleExpression;
      if (typeof expression !== 'string') throw new TemplateInvalid(`${where}: the schedule expression is missing`);
      addSchedule(plan, fn, eventId, expression, props.Input, props.Name, where);
      return;
    }
    case 'SNS': {
      const { service, name } = nameInArn(props.Topic, `${where}.Properties.Topic`);
      if (service !== 'sns') throw new TemplateInvalid(`${where}.Properties.Topic must be a topic ARN`);
      plan.subscriptions.push({ topic: name, function: fn.name });
      return;
    }
    case 'Api':
    case 'HttpApi':
      fn.url ??= { authType: 'NONE' };
      plan.warnings.push(
        `${where}: ${event.Type} events are served on the function's URL (every path and method reaches the function)`,
      );
      return;
    default:
      plan.warnings.push(`${where}: events of type ${String(event.Type)} are not supported and were not deployed`);
  }
}

/** Adds an event source mapping from the ARN of a stream, table stream or queue. */
export function addMapping(
  fn: PlannedFunction,
  type: 'stream' | 'table' | 'queue',
  arn: unknown,
  props: Props,
  where: string,
  plan: StackPlan,
): void {
  const expected = { stream: 'kinesis', table: 'dynamodb', queue: 'sqs' }[type];
  const { service, name } = nameInArn(arn, where);
  if (service !== expected) throw new TemplateInvalid(`${where} must be the ARN of a ${expected} ${type}`);
  const batchSize = optionalInt(props.BatchSize ?? props.batchSize, `${where} BatchSize`);
  const window = optionalInt(
    props.MaximumBatchingWindowInSeconds ?? props.maximumBatchingWindow,
    `${where} MaximumBatchingWindowInSeconds`,
  );
  const position = props.StartingPosition ?? props.startingPosition;
  if (position !== undefined && position !== 'TRIM_HORIZON' && position !== 'LATEST') {
    throw new TemplateInvalid(`${where}: StartingPosition must be TRIM_HORIZON or LATEST`);
  }
  const enabled = props.Enabled ?? props.enabled;
  plan.mappings.push({
    function: fn.name,
    source: { type, name },
    ...(batchSize !== undefined ? { batchSize } : {}),
    ...(window !== undefined ? { maximumBatchingWindowInSeconds: window } : {}),
    ...(type !== 'queue' ? { startingPosition: (position as 'LATEST' | 'TRIM_HORIZON') ?? 'TRIM_HORIZON' } : {}),
    ...(enabled === false ? { enabled: false } : {}),
  });
}

/** Adds a schedule named `name`, or `<function>-<event>`. */
export function addSchedule(
  plan: StackPlan,
  fn: PlannedFunction,
  eventId: string,
  expression: string,
  input: unknown,
  name: unknown,
  where: string,
): void {
  const scheduleName = (typeof name === 'string' && name ? name : `${fn.name}-${eventId}`).slice(0, 64);
  let text: string | undefined;
  if (input !== undefined) {
    text = typeof input === 'string' ? input : JSON.stringify(input);
    try {
      JSON.parse(text);
    } catch (err) {
      throw new TemplateInvalid(`${where}: Input must be JSON`, { cause: err });
    }
  }
  plan.schedules.push({ name: scheduleName, function: fn.name, expression, ...(text ? { input: text } : {}) });
}

/** S3Key filter rules (`[{Name: prefix|suffix, Value}]`) as a prefix and suffix. */
export function s3Rules(rules: unknown, where: string): { prefix?: string; suffix?: string } {
  const out: { prefix?: string; suffix?: string } = {};
  if (rules === undefined) return out;
  if (!Array.isArray(rules)) throw new TemplateInvalid(`${where} must be a list`);
  for (const rule of rules as Props[]) {
    const name = String(rule.Name ?? '').toLowerCase();
    if (name !== 'prefix' && name !== 'suffix')
      throw new TemplateInvalid(`${where}: a rule's Name is prefix or suffix`);
    out[name] = String(rule.Value ?? '');
  }
  return out;
}

/** Environment variables as strings (CloudFormation takes numbers and booleans too). */
export function environmentOf(variables: unknown, where: string): Record<string, string> {
  if (variables === undefined || variables === null) return {};
  if (typeof variables !== 'object' || Array.isArray(variables))
    throw new TemplateInvalid(`${where} must be a mapping`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(variables)) {
    if (value !== null && typeof value === 'object') {
      throw new TemplateInvalid(`${where}.${key} must be a string, not ${JSON.stringify(value)}`);
    }
    out[key] = String(value);
  }
  return out;
}

/** One string or a list of strings. */
export function stringList(value: unknown, where: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.some((v) => typeof v !== 'string')) {
    throw new TemplateInvalid(`${where} must be a string or a list of strings`);
  }
  return list as string[];
}

export function optionalInt(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new TemplateInvalid(`${where} must be a whole number, not ${JSON.stringify(value)}`);
  return n;
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new TemplateInvalid(`${where} must be a string`);
  return value;
}
