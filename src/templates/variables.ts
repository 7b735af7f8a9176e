/**
 * Serverless Framework variables in a serverless.yml: `${self:…}`, `${env:…}`, `${opt:stage}`,
 * `${opt:region}`, `${sls:stage}`, `${aws:region}`, `${aws:accountId}`, with fallbacks
 * (`${env:X, 'default'}`, `${opt:stage, self:provider.stage, 'dev'}`) and nesting
 * (`${self:custom.${sls:stage}.table}`). `${Name}` and `${AWS::Region}` are left for `Fn::Sub`.
 */
import { TemplateInvalid } from './errors.js';

/** What the sources read. */
export interface VariableSources {
  /** The whole document (`self:`). */
  doc: Record<string, unknown>;
  env: Record<string, string | undefined>;
  /** `--stage`, when given. */
  stage?: string;
  region: string;
  accountId: string;
}

/** The innermost `${…}`: no braces inside. */
const INNERMOST = /\$\{([^{}]*)\}/g;
/** A Serverless variable starts with its source (`self:`, `env:` …); `${AWS::Region}` and `${Name}` are Fn::Sub's. */
const SOURCE = /^\s*([a-zA-Z]+):(?!:)/;
const SUPPORTED = new Set(['self', 'env', 'opt', 'sls', 'aws']);
const MAX_DEPTH = 32;

/**
 * `value` with every variable resolved; a string that is one variable takes the variable's value
 * (an object or list too), one variable among text is interpolated.
 * @throws TemplateInvalid naming `where` for an unsupported source, a variable with no value, or self-references in a circle.
 */
export function resolveVariables(value: unknown, sources: VariableSources, where: string, depth = 0): unknown {
  if (depth > MAX_DEPTH) throw new TemplateInvalid(`${where}: variables refer to each other in a circle`);
  if (Array.isArray(value)) return value.map((item, i) => resolveVariables(item, sources, `${where}[${i}]`, depth));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveVariables(item, sources, `${where}.${key}`, depth)]),
    );
  }
  if (typeof value !== 'string') return value;
  let text = value;
  for (;;) {
    const match = [...text.matchAll(INNERMOST)].find((m) => SOURCE.test(m[1] ?? ''));
    if (!match) return text;
    const resolved = variable(match[1] ?? '', sources, where, depth);
    if (match[0] === text) return resolved;
    if (resolved !== null && typeof resolved === 'object') {
      throw new TemplateInvalid(`${where}: ${match[0]} is an object and cannot be part of a string`);
    }
    text = text.slice(0, match.index) + String(resolved) + text.slice((match.index ?? 0) + match[0].length);
  }
}

/** The stage: `--stage`, else provider.stage, else `dev`. */
export function stageOf(sources: VariableSources): string {
  if (sources.stage) return sources.stage;
  const provider = sources.doc.provider as Record<string, unknown> | undefined;
  const stage = resolveVariables(provider?.stage ?? 'dev', { ...sources, stage: 'dev' }, 'provider.stage');
  return String(stage);
}

function variable(body: string, sources: VariableSources, where: string, depth: number): unknown {
  for (const part of splitFallbacks(body)) {
    const value = single(part, sources, where, depth);
    if (value !== undefined) return value;
  }
  throw new TemplateInvalid(`${where}: \${${body}} has no value (set it, or give a fallback: \${${body}, 'default'})`);
}

function single(part: string, sources: VariableSources, where: string, depth: number): unknown {
  const literal = /^(['"])(.*)\1$/.exec(part);
  if (literal) return literal[2];
  if (/^-?\d+(\.\d+)?$/.test(part)) return Number(part);
  if (part === 'true' || part === 'false') return part === 'true';
  const source = SOURCE.exec(part)?.[1];
  if (!source) throw new TemplateInvalid(`${where}: ${part} is neither a variable nor a quoted default`);
  if (!SUPPORTED.has(source)) {
    throw new TemplateInvalid(
      `${where}: variable source ${source}: is not supported here (self, env, opt, sls and aws are)`,
    );
  }
  const address = part.slice(part.indexOf(':') + 1).trim();
  switch (source) {
    case 'self': {
      let node: unknown = sources.doc;
      for (const key of address.split('.').filter(Boolean)) node = (node as Record<string, unknown> | undefined)?.[key];
      return node === undefined ? undefined : resolveVariables(node, sources, `self:${address}`, depth + 1);
    }
    case 'env':
      return sources.env[address];
    case 'opt':
      if (address === 'stage') return sources.stage;
      return address === 'region' ? sources.region : undefined;
    case 'sls':
      return address === 'stage' ? stageOf(sources) : undefined;
    default:
      if (address === 'region') return sources.region;
      return address === 'accountId' ? sources.accountId : undefined;
  }
}

/** `a, 'b, c', d` split on the commas outside quotes. */
function splitFallbacks(body: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quote = '';
  for (const ch of body) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === ',') {
      parts.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current.trim());
  return parts;
}
