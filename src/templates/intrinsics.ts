/**
 * CloudFormation's intrinsic functions over a template's values: `Ref`, `Fn::GetAtt`, `Fn::Sub`
 * (both forms), `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::FindInMap`, `Fn::Base64`, and the
 * `AWS::NoValue` that removes a property. What a name stands for (a parameter, a pseudo parameter,
 * a resource's Ref or attribute) is the scope's answer.
 */
import { TemplateInvalid } from './errors.js';

/** What resolving needs to know about the names a template uses. */
export interface IntrinsicScope {
  /** A parameter's or pseudo parameter's value; undefined when the name is neither. */
  parameter(name: string): unknown;
  /** What `Ref` of a resource gives; undefined when no resource has that logical id. */
  ref(logicalId: string): unknown;
  /** An attribute of a resource. @throws TemplateInvalid for an unknown resource or attribute */
  attribute(logicalId: string, attribute: string, where: string): unknown;
  /** The template's Mappings section. */
  mappings: Record<string, unknown>;
}

/** Stands for `Ref: AWS::NoValue`: the property or list item holding it is removed. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

const SUPPORTED = new Set([
  'Ref',
  'Fn::GetAtt',
  'Fn::Sub',
  'Fn::Join',
  'Fn::Select',
  'Fn::Split',
  'Fn::FindInMap',
  'Fn::Base64',
]);
const NOT_HERE = new Set([
  'Fn::If',
  'Fn::Equals',
  'Fn::Not',
  'Fn::And',
  'Fn::Or',
  'Condition',
  'Fn::ImportValue',
  'Fn::GetAZs',
  'Fn::Cidr',
  'Fn::Transform',
  'Fn::ToJsonString',
  'Fn::Length',
]);
const SUB_VARIABLE = /\$\{([^}]*)\}/g;

/**
 * `value` with every intrinsic function resolved; `where` names the property for messages.
 * @throws TemplateInvalid naming `where` for an unknown or unsupported intrinsic, a bad argument, or an unknown name.
 */
export function resolveIntrinsics(value: unknown, scope: IntrinsicScope, where: string): unknown {
  if (Array.isArray(value)) {
    return value.map((item, i) => resolveIntrinsics(item, scope, `${where}[${i}]`)).filter((item) => item !== NO_VALUE);
  }
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first && isIntrinsicName(first[0])) return call(first[0], first[1], scope, where);
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const resolved = resolveIntrinsics(item, scope, `${where}.${key}`);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

/**
 * The logical ids a value refers to (by `Ref`, `Fn::GetAtt` and `${…}` in `Fn::Sub`), for finding
 * cycles between resources before anything is resolved.
 */
export function referencesOf(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencesOf(item, into);
    return into;
  }
  if (!value || typeof value !== 'object') return into;
  for (const [key, item] of Object.entries(value)) {
    if (key === 'Ref' && typeof item === 'string') into.add(item);
    else if (key === 'Fn::GetAtt') {
      const target = Array.isArray(item) ? item[0] : typeof item === 'string' ? item.split('.')[0] : undefined;
      if (typeof target === 'string') into.add(target);
      else referencesOf(item, into);
    } else if (key === 'Fn::Sub') {
      const [text, variables] = Array.isArray(item) ? item : [item, {}];
      const own = new Set(Object.keys((variables as object) ?? {}));
      if (typeof text === 'string') {
        for (const [, name = ''] of text.matchAll(SUB_VARIABLE)) {
          const target = name.split('.')[0] ?? '';
          if (!name.startsWith('!') && !own.has(name)) into.add(target);
        }
      }
      referencesOf(variables, into);
    } else referencesOf(item, into);
  }
  return into;
}

function isIntrinsicName(key: string): boolean {
  // `!Unknown` is how the YAML reader passes on a tag it does not know.
  return key === 'Ref' || key === 'Condition' || key.startsWith('Fn::') || key.startsWith('!');
}

function call(name: string, arg: unknown, scope: IntrinsicScope, where: string): unknown {
  if (!SUPPORTED.has(name)) {
    if (NOT_HERE.has(name)) throw new TemplateInvalid(`${where}: ${name} is not supported by lambdata templates`);
    throw new TemplateInvalid(`${where}: unknown intrinsic function ${name}`);
  }
  const here = `${where}.${name}`;
  switch (name) {
    case 'Ref':
      return ref(expectString(resolveIntrinsics(arg, scope, here), here), scope, here);
    case 'Fn::GetAtt':
      return getAtt(resolveIntrinsics(arg, scope, here), scope, here);
    case 'Fn::Sub':
      return sub(arg, scope, here);
    case 'Fn::Join': {
      const [delimiter, list] = expectList(resolveIntrinsics(arg, scope, here), 2, here);
      return expectList(list, undefined, `${here}[1]`)
        .map((part) => scalarText(part, `${here}[1]`))
        .join(expectString(delimiter, `${here}[0]`));
    }
    case 'Fn::Select': {
      const [index, list] = expectList(resolveIntrinsics(arg, scope, here), 2, here);
      const items = expectList(list, undefined, `${here}[1]`);
      const i = Number(index);
      if (!Number.isInteger(i) || i < 0 || i >= items.length) {
        throw new TemplateInvalid(`${here}: index ${String(index)} is outside the list of ${items.length}`);
      }
      return items[i];
    }
    case 'Fn::Split': {
      const [delimiter, text] = expectList(resolveIntrinsics(arg, scope, here), 2, here);
      return expectString(text, `${here}[1]`).split(expectString(delimiter, `${here}[0]`));
    }
    case 'Fn::FindInMap': {
      const [map, top, second] = expectList(resolveIntrinsics(arg, scope, here), 3, here).map((k) =>
        scalarText(k, here),
      );
      const found = (scope.mappings[map ?? ''] as Record<string, Record<string, unknown>> | undefined)?.[top ?? '']?.[
        second ?? ''
      ];
      if (found === undefined) throw new TemplateInvalid(`${here}: Mappings has no ${map}.${top}.${second}`);
      return found;
    }
    default:
      return Buffer.from(scalarText(resolveIntrinsics(arg, scope, here), here)).toString('base64');
  }
}

function ref(name: string, scope: IntrinsicScope, where: string): unknown {
  if (name === 'AWS::NoValue') return NO_VALUE;
  const parameter = scope.parameter(name);
  if (parameter !== undefined) return parameter;
  const resource = scope.ref(name);
  if (resource !== undefined) return resource;
  throw new TemplateInvalid(`${where}: ${name} is neither a parameter nor a resource of the template`);
}

function getAtt(arg: unknown, scope: IntrinsicScope, where: string): unknown {
  const parts = typeof arg === 'string' ? [arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1)] : arg;
  const [logicalId, attribute] = expectList(parts, 2, where);
  return scope.attribute(expectString(logicalId, where), expectString(attribute, where), where);
}

function sub(arg: unknown, scope: IntrinsicScope, where: string): string {
  const [text, variables] = Array.isArray(arg) ? expectList(arg, 2, where) : [arg, {}];
  const own = resolveIntrinsics(variables ?? {}, scope, `${where}[1]`) as Record<string, unknown>;
  return expectString(text, where).replace(SUB_VARIABLE, (_, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (name in own) return scalarText(own[name], where);
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::')) {
      return scalarText(scope.attribute(name.slice(0, dot), name.slice(dot + 1), where), where);
    }
    return scalarText(ref(name, scope, where), where);
  });
}

function expectList(value: unknown, length: number | undefined, where: string): unknown[] {
  if (!Array.isArray(value) || (length !== undefined && value.length !== length)) {
    throw new TemplateInvalid(`${where} takes a list${length === undefined ? '' : ` of ${length}`}`);
  }
  return value;
}

function expectString(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new TemplateInvalid(`${where} takes a string, not ${JSON.stringify(value)}`);
  return value;
}

function scalarText(value: unknown, where: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new TemplateInvalid(`${where}: ${JSON.stringify(value)} is not a string`);
}
