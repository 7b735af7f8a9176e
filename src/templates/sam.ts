/**
 * A SAM or CloudFormation template as a stack plan: Parameters (with overrides), Globals, the
 * functions (`AWS::Serverless::Function`, `AWS::Lambda::Function`) and their events, function URLs,
 * event source mappings and SNS subscriptions declared as resources, and the data resources.
 */
import { TemplateInvalid } from './errors.js';
import { addMapping, addSamEvent, functionOf, urlOf } from './functions.js';
import { emptyPlan, type StackPlan } from './plan.js';
import { nameInArn, type StackSite, type TemplateResource, TemplateResources } from './resources.js';

/** What reading a template needs besides the document. */
export interface TemplateOptions {
  site: StackSite;
  /** The template's directory: code paths are relative to it. */
  dir: string;
  /** `--parameter-overrides` (SAM) or `--param` values. */
  parameters: Record<string, string>;
  /** `--stage` (serverless.yml). */
  stage?: string;
  /** The environment `${env:…}` reads (serverless.yml). */
  env?: Record<string, string | undefined>;
}

type Props = Record<string, unknown>;

/**
 * The plan of a SAM/CloudFormation document.
 * @throws TemplateInvalid naming the resource or property at fault.
 */
export function planSam(doc: Props, options: TemplateOptions): StackPlan {
  const resources = doc.Resources;
  if (!resources || typeof resources !== 'object' || Array.isArray(resources)) {
    throw new TemplateInvalid('The template has no Resources section');
  }
  const scope = new TemplateResources(
    resources as Record<string, TemplateResource>,
    parametersOf(doc.Parameters, options.parameters),
    options.site,
    (doc.Mappings ?? {}) as Props,
  );
  const plan = emptyPlan(options.site.stack, 'sam');
  scope.addDataResources(plan);
  const globals = globalFunctionProps(doc.Globals, scope);
  const entries = scope.entries();
  for (const [id, resource] of entries) {
    if (resource.Type === 'AWS::Serverless::Function') {
      const props = withGlobals(globals, scope.properties(id));
      if (props.InlineCode !== undefined)
        throw new TemplateInvalid(`Resources.${id}: InlineCode is not supported; use CodeUri`);
      const fn = functionOf(id, scope.physicalName(id), props, props.CodeUri, options.dir, plan);
      if (props.FunctionUrlConfig)
        fn.url = urlOf(props.FunctionUrlConfig as Props, `Resources.${id}.Properties.FunctionUrlConfig`);
      plan.functions.push(fn);
      for (const [eventId, event] of Object.entries((props.Events ?? {}) as Record<string, Props>)) {
        addSamEvent(fn, eventId, event, plan);
      }
    } else if (resource.Type === 'AWS::Lambda::Function') {
      const props = scope.properties(id);
      const fn = functionOf(id, scope.physicalName(id), props, props.Code, options.dir, plan);
      plan.functions.push(fn);
    }
  }
  for (const [id, resource] of entries) {
    const where = `Resources.${id}.Properties`;
    if (resource.Type === 'AWS::Lambda::Url') {
      const props = scope.properties(id);
      targetOf(props.TargetFunctionArn, `${where}.TargetFunctionArn`, plan).url = urlOf(props, where);
    } else if (resource.Type === 'AWS::Lambda::EventSourceMapping') {
      const props = scope.properties(id);
      const fn = targetOf(props.FunctionName, `${where}.FunctionName`, plan);
      const { service } = nameInArn(props.EventSourceArn, `${where}.EventSourceArn`);
      const type = service === 'kinesis' ? 'stream' : service === 'dynamodb' ? 'table' : 'queue';
      addMapping(fn, type, props.EventSourceArn, props, `${where}.EventSourceArn`, plan);
    } else if (resource.Type === 'AWS::SNS::Subscription') {
      const props = scope.properties(id);
      if (props.Protocol !== 'lambda') {
        plan.warnings.push(`Resources.${id}: only lambda subscriptions are deployed from templates`);
        continue;
      }
      const fn = targetOf(props.Endpoint, `${where}.Endpoint`, plan);
      plan.subscriptions.push({ topic: nameInArn(props.TopicArn, `${where}.TopicArn`).name, function: fn.name });
    }
  }
  plan.outputs = outputsOf(doc.Outputs, scope);
  return plan;
}

/** The Outputs section's values, resolved. @throws TemplateInvalid naming the output */
function outputsOf(outputs: unknown, scope: TemplateResources): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, output] of Object.entries((outputs ?? {}) as Record<string, Props>)) {
    const value = scope.resolve(output?.Value, `Outputs.${key}.Value`);
    out[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}

/**
 * Parameter values: overrides, else defaults; lists for CommaDelimitedList and List<…> types.
 * @throws TemplateInvalid for a parameter with no value, a value outside AllowedValues, or an override of no parameter.
 */
export function parametersOf(declared: unknown, overrides: Record<string, string>): Map<string, unknown> {
  const params = (declared ?? {}) as Record<string, Props>;
  const values = new Map<string, unknown>();
  for (const name of Object.keys(overrides)) {
    if (!(name in params))
      throw new TemplateInvalid(`--parameter-overrides names ${name}, which is no parameter of the template`);
  }
  for (const [name, spec] of Object.entries(params)) {
    const raw = overrides[name] ?? spec?.Default;
    if (raw === undefined) {
      throw new TemplateInvalid(`Parameter ${name} has no Default; give it with --parameter-overrides ${name}=…`);
    }
    const text = Array.isArray(raw) ? raw.join(',') : String(raw);
    const allowed = spec?.AllowedValues;
    if (Array.isArray(allowed) && !allowed.map(String).includes(text)) {
      throw new TemplateInvalid(`Parameter ${name} must be one of ${allowed.join(', ')}, not ${text}`);
    }
    const type = String(spec?.Type ?? 'String');
    values.set(name, type === 'CommaDelimitedList' || type.startsWith('List<') ? text.split(',') : text);
  }
  return values;
}

function globalFunctionProps(globals: unknown, scope: TemplateResources): Props {
  const fn = (globals as Props | undefined)?.Function;
  if (fn === undefined) return {};
  return scope.resolve(fn, 'Globals.Function') as Props;
}

/** A function's properties over the Globals: its own win; environment variables are merged. */
function withGlobals(globals: Props, own: Props): Props {
  const merged: Props = { ...globals, ...own };
  const globalVars = (globals.Environment as Props | undefined)?.Variables as Props | undefined;
  const ownVars = (own.Environment as Props | undefined)?.Variables as Props | undefined;
  if (globalVars || ownVars) merged.Environment = { Variables: { ...globalVars, ...ownVars } };
  return merged;
}

/** The planned function a name or ARN names. @throws TemplateInvalid when the template does not deploy it */
function targetOf(nameOrArn: unknown, where: string, plan: StackPlan): StackPlan['functions'][number] {
  const name =
    typeof nameOrArn === 'string' && nameOrArn.startsWith('arn:') ? nameInArn(nameOrArn, where).name : nameOrArn;
  const fn = plan.functions.find((f) => f.name === name);
  if (!fn) throw new TemplateInvalid(`${where}: ${JSON.stringify(nameOrArn)} is no function of this template`);
  return fn;
}
