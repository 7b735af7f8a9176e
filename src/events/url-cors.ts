import { InvalidParameterValue } from '../shared/errors.js';

/** A function URL's CORS settings, in the Lambda API's members (returned as given). */
export interface UrlCors {
  AllowCredentials?: boolean;
  AllowHeaders?: string[];
  AllowMethods?: string[];
  AllowOrigins?: string[];
  ExposeHeaders?: string[];
  MaxAge?: number;
}

const METHODS = new Set(['GET', 'PUT', 'HEAD', 'POST', 'PATCH', 'DELETE', '*']);
const MAX_AGE = 86400;
const LISTS = ['AllowHeaders', 'AllowMethods', 'AllowOrigins', 'ExposeHeaders'] as const;
const MAX_ITEMS = 100;

/** Checks a Cors member as CreateFunctionUrlConfig does. @throws InvalidParameterValueException naming the member */
export function checkCors(raw: unknown): UrlCors {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidParameterValue('Cors must be an object');
  }
  const input = raw as Record<string, unknown>;
  const cors: UrlCors = {};
  for (const key of Object.keys(input)) {
    if (!(LISTS as readonly string[]).includes(key) && key !== 'AllowCredentials' && key !== 'MaxAge') {
      throw new InvalidParameterValue(`Cors.${key} is not a CORS setting`);
    }
  }
  for (const member of LISTS) {
    const value = input[member];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value) || value.length > MAX_ITEMS || value.some((v) => typeof v !== 'string' || v === '')) {
      throw new InvalidParameterValue(`Cors.${member} must be a list of at most ${MAX_ITEMS} non-empty strings`);
    }
    cors[member] = value as string[];
  }
  for (const method of cors.AllowMethods ?? []) {
    if (!METHODS.has(method)) throw new InvalidParameterValue(`Cors.AllowMethods: '${method}' is not an HTTP method`);
  }
  for (const origin of cors.AllowOrigins ?? []) {
    if (origin !== '*' && !isOrigin(origin)) {
      throw new InvalidParameterValue(`Cors.AllowOrigins: '${origin}' is not an origin (scheme://host[:port]) or *`);
    }
  }
  if (input.AllowCredentials !== undefined) {
    if (typeof input.AllowCredentials !== 'boolean')
      throw new InvalidParameterValue('Cors.AllowCredentials must be a boolean');
    cors.AllowCredentials = input.AllowCredentials;
  }
  if (input.MaxAge !== undefined) {
    const age = input.MaxAge;
    if (typeof age !== 'number' || !Number.isInteger(age) || age < 0 || age > MAX_AGE) {
      throw new InvalidParameterValue(`Cors.MaxAge must be a whole number of seconds from 0 to ${MAX_AGE}`);
    }
    cors.MaxAge = age;
  }
  return cors;
}

/** True when the CORS settings allow requests from `origin` (exactly as listed, or `*`). */
export function corsAllowsOrigin(cors: UrlCors | undefined, origin: string): boolean {
  const allowed = cors?.AllowOrigins ?? [];
  if (allowed.includes('*')) return true;
  const normalized = normalizeOrigin(origin);
  return normalized !== undefined && allowed.some((o) => normalizeOrigin(o) === normalized);
}

/**
 * The answer headers of a CORS preflight (OPTIONS with Access-Control-Request-Method): the allowed
 * origin echoed, methods, headers, max-age and credentials; empty when the origin or method is not allowed.
 */
export function preflightHeaders(
  cors: UrlCors,
  origin: string,
  method: string,
  requestHeaders: string | undefined,
): Record<string, string> {
  if (!corsAllowsOrigin(cors, origin)) return {};
  const methods = cors.AllowMethods ?? [];
  if (!methods.includes('*') && !methods.includes(method.toUpperCase())) return {};
  const headers: Record<string, string> = {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': methods.includes('*') ? method.toUpperCase() : methods.join(','),
    vary: 'Origin',
  };
  const asked = (requestHeaders ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const allowedHeaders = (cors.AllowHeaders ?? []).map((h) => h.toLowerCase());
  const granted = allowedHeaders.includes('*') ? asked : asked.filter((h) => allowedHeaders.includes(h));
  if (granted.length) headers['access-control-allow-headers'] = granted.join(',');
  if (cors.MaxAge !== undefined) headers['access-control-max-age'] = String(cors.MaxAge);
  if (cors.AllowCredentials) headers['access-control-allow-credentials'] = 'true';
  return headers;
}

/** The CORS headers added to a function's answer to an allowed origin (they replace any the function set). */
export function responseCorsHeaders(cors: UrlCors | undefined, origin: string | undefined): Record<string, string> {
  if (!cors || origin === undefined || !corsAllowsOrigin(cors, origin)) return {};
  const headers: Record<string, string> = { 'access-control-allow-origin': origin, vary: 'Origin' };
  if (cors.ExposeHeaders?.length) headers['access-control-expose-headers'] = cors.ExposeHeaders.join(',');
  if (cors.AllowCredentials) headers['access-control-allow-credentials'] = 'true';
  return headers;
}

function isOrigin(text: string): boolean {
  return normalizeOrigin(text) !== undefined;
}

/** `HTTPS://Example.com:443/` → `https://example.com`; undefined for anything that is not an http(s) origin. */
function normalizeOrigin(text: string): string | undefined {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) return undefined;
    return url.origin;
  } catch {
    // Not a URL at all (`null`, garbage): no origin matches it.
    return undefined;
  }
}
