import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { EngineContext } from '../shared/context.js';
import { InvalidParameterValue, ResourceConflict, ResourceNotFound } from '../shared/errors.js';
import { migrate, tableExists } from '../state/db.js';
import { checkCors, type UrlCors } from './url-cors.js';

/** An HTTP request as the function URL front end saw it. */
export interface UrlRequest {
  method: string;
  /** Path after the function's URL prefix, starting with '/'. */
  rawPath: string;
  rawQueryString: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  sourceIp: string;
  requestId: string;
  domainName: string;
  apiId: string;
  protocol?: string;
  /** The signer of a request to an AWS_IAM URL (requestContext.authorizer.iam). */
  iam?: UrlCaller;
}

/** Who signed a request to an AWS_IAM function URL, as the event's authorizer reports it. */
export interface UrlCaller {
  accessKey: string;
  accountId: string;
  callerId: string;
  userArn: string;
  userId: string;
}

/** The HTTP response a function's answer maps to. */
export interface UrlResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** What CreateFunctionUrlConfig and UpdateFunctionUrlConfig take. */
export interface UrlConfigInput {
  authType?: string;
  cors?: unknown;
  invokeMode?: string;
}

/** A function URL configuration, as stored. */
export interface FunctionUrlConfig {
  functionName: string;
  authType: 'NONE' | 'AWS_IAM';
  cors?: UrlCors;
  invokeMode: 'BUFFERED' | 'RESPONSE_STREAM';
  createdAt: number;
  modifiedAt: number;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The function URL (API Gateway payload 2.0) event for an HTTP request, as AWS builds it. */
export function urlEvent(req: UrlRequest, now = Date.now()): Record<string, unknown> {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const joined = Array.isArray(value) ? value.join(',') : value;
    if (lower === 'cookie') cookies = joined.split(/;\s*/).filter(Boolean);
    else headers[lower] = joined;
  }
  const params = new URLSearchParams(req.rawQueryString);
  const query: Record<string, string> = {};
  for (const [key, value] of params) query[key] = key in query ? `${query[key]},${value}` : value;
  const contentType = headers['content-type'] ?? '';
  const text = req.body.length === 0 || TEXT_TYPES.test(contentType);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: req.rawPath,
    rawQueryString: req.rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: req.iam?.accountId ?? 'anonymous',
      apiId: req.apiId,
      domainName: req.domainName,
      domainPrefix: req.apiId,
      ...(req.iam ? { authorizer: { iam: { ...req.iam, cognitoIdentity: null, principalOrgId: null } } } : {}),
      http: {
        method: req.method,
        path: req.rawPath,
        protocol: req.protocol ?? 'HTTP/1.1',
        sourceIp: req.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: req.requestId,
      routeKey: '$default',
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now,
    },
    ...(req.body.length ? { body: text ? req.body.toString('utf8') : req.body.toString('base64') } : {}),
    isBase64Encoded: !text,
  };
}

/**
 * Maps what the function returned to the HTTP response, as function URLs do: an object with
 * `statusCode` gives status, headers, multiValueHeaders, cookies (set-cookie) and body (base64
 * when isBase64Encoded); any other valid JSON is a 200 application/json answer with that JSON;
 * a function error is a 502.
 */
export function urlResponse(payload: Buffer, functionError?: string): UrlResponse {
  if (functionError) return internalError();
  const text = payload.toString('utf8');
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? null : JSON.parse(text);
  } catch (err) {
    void err; // Not JSON: AWS answers 502 for a malformed function response.
    return internalError();
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !('statusCode' in parsed)) {
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(text) };
  }
  const r = parsed as {
    statusCode: unknown;
    headers?: Record<string, unknown>;
    multiValueHeaders?: Record<string, unknown[]>;
    cookies?: unknown[];
    body?: unknown;
    isBase64Encoded?: boolean;
  };
  const statusCode = Number(r.statusCode);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return internalError();
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(r.multiValueHeaders ?? {})) headers[k.toLowerCase()] = v.map(String);
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = String(v);
  if (r.cookies?.length) headers['set-cookie'] = r.cookies.map(String);
  headers['content-type'] ??= 'application/json';
  const bodyText =
    r.body === undefined || r.body === null ? '' : typeof r.body === 'string' ? r.body : JSON.stringify(r.body);
  return { statusCode, headers, body: r.isBase64Encoded ? Buffer.from(bodyText, 'base64') : Buffer.from(bodyText) };
}

/** Function URL configurations (CreateFunctionUrlConfig …), durable in SQLite. */
export class FunctionUrlConfigs {
  /** The API id URL events carry (requestContext.apiId): one per engine, as AWS has one per URL. */
  readonly apiId = randomBytes(16).toString('hex');
  #context: EngineContext;

  constructor(context: EngineContext) {
    this.#context = context;
    const db = context.db;
    // A URL goes with its function: the table refers to the registry's, so deleting a function deletes its URL.
    migrate(
      db,
      `CREATE TABLE IF NOT EXISTS function_url_configs (
         function_name TEXT PRIMARY KEY REFERENCES invoke_functions(name) ON DELETE CASCADE,
         config TEXT NOT NULL
       );`,
    );
    if (tableExists(db, 'function_urls')) {
      db.transaction(() => {
        db.exec(`INSERT OR IGNORE INTO function_url_configs (function_name, config)
                   SELECT function_name, config FROM function_urls
                   WHERE function_name IN (SELECT name FROM invoke_functions);
                 DROP TABLE function_urls;`);
      })();
    }
  }

  /** @throws ResourceConflictException when the function has a URL already; InvalidParameterValue for a bad AuthType */
  create(functionName: string, input: UrlConfigInput): FunctionUrlConfig {
    if (this.find(functionName))
      throw new ResourceConflict(
        `Failed to create function url config for [functionArn = ${functionName}]. Error message:  FunctionUrlConfig exists for this Lambda function`,
      );
    const now = Date.now();
    const config: FunctionUrlConfig = { functionName, ...checked(input), createdAt: now, modifiedAt: now };
    this.#write(config);
    return config;
  }

  /** @throws ResourceNotFound */
  get(functionName: string): FunctionUrlConfig {
    const config = this.find(functionName);
    if (!config)
      throw new ResourceNotFound(`The resource you requested does not exist. (Function URL for ${functionName})`);
    return config;
  }

  find(functionName: string): FunctionUrlConfig | undefined {
    const row = this.#context.db
      .prepare('SELECT config FROM function_url_configs WHERE function_name = ?')
      .get(functionName) as { config: string } | undefined;
    return row ? (JSON.parse(row.config) as FunctionUrlConfig) : undefined;
  }

  /** @throws ResourceNotFound */
  update(functionName: string, input: UrlConfigInput): FunctionUrlConfig {
    const current = this.get(functionName);
    const next: FunctionUrlConfig = {
      ...current,
      ...checked({
        authType: input.authType ?? current.authType,
        cors: input.cors ?? current.cors,
        invokeMode: input.invokeMode ?? current.invokeMode,
      }),
      modifiedAt: Date.now(),
    };
    this.#write(next);
    return next;
  }

  /** @throws ResourceNotFound */
  delete(functionName: string): void {
    this.get(functionName);
    this.#context.db.prepare('DELETE FROM function_url_configs WHERE function_name = ?').run(functionName);
  }

  #write(config: FunctionUrlConfig): void {
    this.#context.db
      .prepare(
        'INSERT INTO function_url_configs (function_name, config) VALUES (?, ?) ON CONFLICT(function_name) DO UPDATE SET config = excluded.config',
      )
      .run(config.functionName, JSON.stringify(config));
  }
}

function checked(input: UrlConfigInput) {
  const authType = input.authType ?? 'NONE';
  if (authType !== 'NONE' && authType !== 'AWS_IAM') throw new InvalidParameterValue(`Invalid AuthType: ${authType}`);
  const invokeMode = input.invokeMode ?? 'BUFFERED';
  if (invokeMode !== 'BUFFERED' && invokeMode !== 'RESPONSE_STREAM')
    throw new InvalidParameterValue(`Invalid InvokeMode: ${invokeMode}`);
  return { authType, invokeMode, ...(input.cors ? { cors: checkCors(input.cors) } : {}) } as Pick<
    FunctionUrlConfig,
    'authType' | 'invokeMode' | 'cors'
  >;
}

function internalError(): UrlResponse {
  return {
    statusCode: 502,
    headers: { 'content-type': 'application/json' },
    body: Buffer.from('{"Message":"Internal Server Error"}'),
  };
}

/** `24/Nov/2026:19:00:00 +0000`, the time format of requestContext.time. */
function clfTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
