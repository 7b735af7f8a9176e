import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Zip, ZipDeflate } from 'fflate';
import {
  type FunctionConfigPatch,
  type FunctionVersion,
  INVOCATION_TYPES,
  isInvocationType,
  PACKAGE_LIMITS,
  PAYLOAD_LIMITS,
} from '../../invoke/index.js';
import { InvalidParameterValue, InvalidRequestContent, RequestTooLarge } from '../../shared/errors.js';
import { CodeDirs } from '../code-dirs.js';
import { readBody, readJsonObject, sendJson } from '../http.js';
import type { Route, RouteContext } from '../router.js';
import { openSse } from '../sse.js';
import type {
  BillingAnswer,
  ConcurrencyAnswer,
  DeadLettersAnswer,
  DeletedAnswer,
  FunctionDetail,
  FunctionList,
  InvocationsAnswer,
  InvokeAnswer,
  LogsAnswer,
  NativeFunction,
  ReplayAnswer,
} from './contract.js';

type Body = Record<string, unknown>;

const MAX_DEPLOY_REQUEST = Math.ceil((PACKAGE_LIMITS.zippedBytes * 4) / 3) + 1024 * 1024;
const LOG_REPLAY = 100;
const NO_CODE_DIRS = new CodeDirs();

/** Functions, invocations, logs, billing, concurrency and dead letters, under /_lambdata. */
export const routes: Route[] = [
  { method: 'GET', path: '/functions', handler: listFunctions },
  { method: 'GET', path: '/functions/:name', handler: showFunction },
  { method: 'PUT', path: '/functions/:name', handler: deployFunction },
  { method: 'PATCH', path: '/functions/:name', handler: patchFunction },
  { method: 'DELETE', path: '/functions/:name', handler: deleteFunction },
  { method: 'POST', path: '/functions/:name/versions', handler: publishVersion },
  { method: 'GET', path: '/functions/:name/code', handler: downloadCode },
  { method: 'POST', path: '/functions/:name/invoke', handler: invokeFunction },
  { method: 'GET', path: '/functions/:name/logs', handler: tailLogs },
  { method: 'GET', path: '/functions/:name/logs/stream', handler: streamLogs },
  { method: 'GET', path: '/invocations', handler: recentInvocations },
  { method: 'GET', path: '/invocations/stream', handler: streamInvocations },
  { method: 'GET', path: '/billing', handler: billingSummary },
  { method: 'GET', path: '/concurrency', handler: concurrency },
  { method: 'GET', path: '/dlq', handler: listDeadLetters },
  { method: 'POST', path: '/dlq/replay', handler: replayAllDeadLetters },
  { method: 'POST', path: '/dlq/:id/replay', handler: replayDeadLetter },
  { method: 'DELETE', path: '/dlq/:id', handler: deleteDeadLetter },
];

/** The native shape of a function version, with its reserved concurrency. */
export function toNativeFunction(fn: FunctionVersion, reservedConcurrency: number | null): NativeFunction {
  return {
    name: fn.name,
    arn: fn.arn,
    version: fn.version,
    handler: fn.handler,
    runtime: fn.runtime,
    memoryMb: fn.memoryMb,
    timeoutS: fn.timeoutS,
    ephemeralStorageMb: fn.ephemeralStorageMb,
    environment: fn.environment,
    description: fn.description,
    codeSha256: fn.codeSha256,
    codeSize: fn.codeSize,
    lastModified: fn.lastModified,
    revisionId: fn.revisionId,
    reservedConcurrency,
    deadLetterTargetArn: fn.deadLetterTargetArn ?? null,
  };
}

function listFunctions({ engine, res }: RouteContext): void {
  const functions = [...engine.functions.list()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((fn) => toNativeFunction(fn, engine.functions.settings(fn.name).reservedConcurrency));
  sendJson(res, 200, { functions } satisfies FunctionList);
}

function showFunction({ engine, res, url, params }: RouteContext): void {
  sendJson(res, 200, describe(engine, params.name ?? '', url.searchParams.get('qualifier') ?? undefined));
}

/** PUT: creates the function, or updates its configuration and then its code (so a publish snapshots both). */
async function deployFunction({ engine, req, res, params, codeDirs }: RouteContext): Promise<void> {
  const name = params.name ?? '';
  const body = await readJsonObject<Body>(req, MAX_DEPLOY_REQUEST);
  const code = readCode(body.code, codeDirs);
  const config = configFields(body);
  const publish = body.publish === true;
  const reserved = body.reservedConcurrency;
  let created = false;
  if (engine.functions.has(name)) {
    if (Object.keys(config).length) engine.functions.updateConfig(name, config);
    if (code) await engine.functions.updateCode(name, code, { publish });
    else if (publish) engine.functions.publish(name);
  } else {
    if (!code) throw new InvalidParameterValue('code ({zipBase64} or {dir}) is required to create a function');
    if (!config.handler) throw new InvalidParameterValue('handler is required to create a function');
    await engine.functions.create({ name, handler: config.handler, ...config, code, publish });
    created = true;
  }
  if (reserved !== undefined) engine.functions.putConcurrency(name, readReserved(reserved));
  sendJson(res, created ? 201 : 200, describe(engine, name));
}

async function patchFunction({ engine, req, res, params }: RouteContext): Promise<void> {
  const name = params.name ?? '';
  const body = await readJsonObject<Body>(req, 1024 * 1024);
  const config = configFields(body);
  if (Object.keys(config).length) engine.functions.updateConfig(name, config);
  if (body.reservedConcurrency !== undefined)
    engine.functions.putConcurrency(name, readReserved(body.reservedConcurrency));
  if (body.eventInvokeConfig && typeof body.eventInvokeConfig === 'object') {
    const current = engine.functions.settings(name).eventInvokeConfig;
    engine.functions.putEventInvokeConfig(name, { ...current, ...(body.eventInvokeConfig as object) });
  }
  sendJson(res, 200, describe(engine, name));
}

function deleteFunction({ engine, res, url, params }: RouteContext): void {
  engine.functions.delete(params.name ?? '', url.searchParams.get('qualifier') ?? undefined);
  sendJson(res, 200, { deleted: params.name } satisfies DeletedAnswer);
}

async function publishVersion({ engine, req, res, params }: RouteContext): Promise<void> {
  const body = await readJsonObject<Body>(req, 64 * 1024);
  const description = typeof body.description === 'string' ? body.description : undefined;
  const fn = engine.functions.publish(params.name ?? '', description);
  sendJson(
    res,
    201,
    toNativeFunction(fn, engine.functions.settings(fn.name).reservedConcurrency) satisfies NativeFunction,
  );
}

/** Streams the version's package as a zip built from its unpacked directory. */
function downloadCode({ engine, res, url, params }: RouteContext): void {
  const fn = engine.functions.get(params.name ?? '', url.searchParams.get('qualifier') ?? undefined);
  res.writeHead(200, {
    'content-type': 'application/zip',
    'content-disposition': `attachment; filename="${fn.name}.zip"`,
  });
  const zip = new Zip((err, chunk, final) => {
    if (err) {
      res.destroy(err);
      return;
    }
    res.write(chunk);
    if (final) res.end();
  });
  for (const file of walk(fn.codeDir)) {
    const entry = new ZipDeflate(relative(fn.codeDir, file).split('\\').join('/'), { level: 6 });
    zip.add(entry);
    entry.push(readFileSync(file), true);
  }
  zip.end();
}

async function invokeFunction({ engine, req, res, url, params }: RouteContext): Promise<void> {
  // Most calls have no query: skip building its URLSearchParams.
  const query = url.search === '' ? undefined : url.searchParams;
  const invocationType = query?.get('type') ?? 'RequestResponse';
  if (!isInvocationType(invocationType)) {
    throw new InvalidParameterValue(`type must be one of ${INVOCATION_TYPES.join(', ')}`);
  }
  const tail = ['1', 'true'].includes(query?.get('tail') ?? '');
  const qualifier = query?.get('qualifier');
  const payload = await readBody(req, PAYLOAD_LIMITS.syncBytes);
  const result = await engine.invocations.invoke({
    functionName: params.name ?? '',
    ...(qualifier ? { qualifier } : {}),
    payload,
    invocationType,
    logType: tail ? 'Tail' : 'None',
    trigger: 'api',
  });
  sendJson(res, 200, {
    requestId: result.requestId,
    statusCode: result.statusCode,
    executedVersion: result.executedVersion,
    ...(result.functionError ? { functionError: result.functionError } : {}),
    payload: parsePayload(result.payload),
    ...(result.logResult ? { logs: Buffer.from(result.logResult, 'base64').toString('utf8') } : {}),
    ...(result.record ? { record: result.record } : {}),
  } satisfies InvokeAnswer);
}

function tailLogs({ engine, res, url, params }: RouteContext): void {
  const name = params.name ?? '';
  engine.functions.get(name);
  const since = parseSince(url.searchParams.get('since'));
  const limit = parseLimit(url.searchParams.get('limit'));
  const requestId = url.searchParams.get('requestId');
  const lines = engine.logs.tail({
    functionName: name,
    ...(since === undefined ? {} : { since }),
    ...(limit === undefined ? {} : { limit }),
    ...(requestId ? { requestId } : {}),
  });
  sendJson(res, 200, { lines } satisfies LogsAnswer);
}

/** SSE: replays the last lines, then sends each new line of the function as event `log`. */
function streamLogs({ engine, req, res, url, params }: RouteContext): void {
  const name = params.name ?? '';
  engine.functions.get(name);
  const since = parseSince(url.searchParams.get('since'));
  const limit = parseLimit(url.searchParams.get('limit')) ?? LOG_REPLAY;
  const sse = openSse(req, res);
  // Subscribe before replaying so no line falls between the two.
  const live: unknown[] = [];
  let replayed = false;
  const unsubscribe = engine.logs.lines.subscribe((line) => {
    if ((line as { functionName?: string }).functionName !== name) return;
    if (replayed) sse.send('log', line);
    else live.push(line);
  });
  sse.onClose(unsubscribe);
  const history = engine.logs.tail({ functionName: name, limit, ...(since === undefined ? {} : { since }) });
  for (const line of history) sse.send('log', line);
  const seen = new Set(history.map((line) => JSON.stringify(line)));
  for (const line of live) if (!seen.has(JSON.stringify(line))) sse.send('log', line);
  replayed = true;
}

function recentInvocations({ engine, res, url }: RouteContext): void {
  const functionName = url.searchParams.get('function');
  const limit = parseLimit(url.searchParams.get('limit'));
  const invocations = engine.invocations.recent({
    ...(functionName ? { functionName } : {}),
    ...(limit === undefined ? {} : { limit }),
  });
  sendJson(res, 200, { invocations } satisfies InvocationsAnswer);
}

/** SSE of invocation records as they finish (event `invocation`), optionally for one function. */
function streamInvocations({ engine, req, res, url }: RouteContext): void {
  const functionName = url.searchParams.get('function');
  const sse = openSse(req, res);
  const unsubscribe = engine.invocations.records.subscribe((record) => {
    if (!functionName || record.functionName === functionName) sse.send('invocation', record, record.requestId);
  });
  sse.onClose(unsubscribe);
}

function billingSummary({ engine, res, url }: RouteContext): void {
  const functionName = url.searchParams.get('function');
  const since = parseSince(url.searchParams.get('since'));
  const trigger = url.searchParams.get('trigger');
  const summary = engine.billing.summary({
    ...(functionName ? { functionName } : {}),
    ...(since === undefined ? {} : { since }),
    ...(trigger ? { trigger } : {}),
  });
  sendJson(res, 200, { ...summary, prices: engine.billing.prices } satisfies BillingAnswer);
}

function concurrency({ engine, res, url }: RouteContext): void {
  const fn = url.searchParams.get('function') ?? undefined;
  sendJson(res, 200, {
    ...engine.invocations.concurrency(),
    queueDepth: engine.invocations.queueDepth(fn),
  } satisfies ConcurrencyAnswer);
}

function listDeadLetters({ engine, res, url }: RouteContext): void {
  const functionName = url.searchParams.get('function');
  const deadLetters = engine.invocations.deadLetters.list(functionName ? { functionName } : {});
  sendJson(res, 200, { deadLetters } satisfies DeadLettersAnswer);
}

async function replayDeadLetter({ engine, res, params }: RouteContext): Promise<void> {
  await engine.invocations.deadLetters.replay(params.id ?? '');
  sendJson(res, 200, { replayed: 1 } satisfies ReplayAnswer);
}

async function replayAllDeadLetters({ engine, res, url }: RouteContext): Promise<void> {
  const replayed = await engine.invocations.deadLetters.replayAll(url.searchParams.get('function') ?? undefined);
  sendJson(res, 200, { replayed } satisfies ReplayAnswer);
}

function deleteDeadLetter({ engine, res, params }: RouteContext): void {
  engine.invocations.deadLetters.delete(params.id ?? '');
  sendJson(res, 200, { deleted: params.id } satisfies DeletedAnswer);
}

function describe(engine: RouteContext['engine'], name: string, qualifier?: string): FunctionDetail {
  const fn = engine.functions.get(name, qualifier);
  const settings = engine.functions.settings(fn.name);
  return {
    ...toNativeFunction(fn, settings.reservedConcurrency),
    versions: engine.functions
      .listVersions(fn.name)
      .map((version) => toNativeFunction(version, settings.reservedConcurrency)),
    eventInvokeConfig: settings.eventInvokeConfig,
    settings,
  };
}

function configFields(body: Body) {
  const fields: FunctionConfigPatch = {};
  for (const key of ['handler', 'runtime', 'description', 'deadLetterTargetArn'] as const) {
    const value = body[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new InvalidRequestContent(`${key} must be a string`);
    fields[key] = value;
  }
  for (const key of ['memoryMb', 'timeoutS', 'ephemeralStorageMb'] as const) {
    const value = body[key];
    if (value === undefined) continue;
    if (typeof value !== 'number') throw new InvalidRequestContent(`${key} must be a number`);
    fields[key] = value;
  }
  if (body.environment !== undefined) {
    if (!body.environment || typeof body.environment !== 'object') {
      throw new InvalidRequestContent('environment must be an object of strings');
    }
    fields.environment = body.environment as Record<string, string>;
  }
  return fields;
}

/** The code of a deploy; a server directory only inside the operator's allowed ones (else 403). */
function readCode(code: unknown, codeDirs = NO_CODE_DIRS): { zip: Buffer } | { dir: string } | undefined {
  if (code === undefined || code === null) return undefined;
  const { zipBase64, dir } = code as { zipBase64?: unknown; dir?: unknown };
  if (typeof zipBase64 === 'string') {
    const zip = Buffer.from(zipBase64, 'base64');
    if (zip.length > PACKAGE_LIMITS.zippedBytes)
      throw new RequestTooLarge(`The zip is ${zip.length} bytes; the limit is ${PACKAGE_LIMITS.zippedBytes}`);
    return { zip };
  }
  if (typeof dir === 'string') return { dir: codeDirs.check(dir) };
  throw new InvalidRequestContent('code must be {zipBase64} or {dir}');
}

function readReserved(value: unknown): number | null {
  if (value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidParameterValue('reservedConcurrency must be a non-negative integer or null');
  }
  return value;
}

/** `since` as epoch ms: a number, or an ISO date. */
function parseSince(value: string | null): number | undefined {
  if (!value) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (Number.isNaN(n)) throw new InvalidParameterValue(`since must be epoch milliseconds or an ISO date: ${value}`);
  return n;
}

function parseLimit(value: string | null): number | undefined {
  if (!value) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidParameterValue(`limit must be a positive integer: ${value}`);
  return n;
}

function parsePayload(payload: Buffer): unknown {
  if (payload.length === 0) return null;
  const text = payload.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON (a handler may return raw text): hand it back as a string.
    return text;
  }
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile() || statSync(path).isFile()) yield path;
  }
}
