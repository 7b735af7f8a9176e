import { type FunctionConfigPatch, type FunctionVersion, PACKAGE_LIMITS } from '../../../invoke/index.js';
import { InvalidParameterValue, RequestTooLarge } from '../../../shared/errors.js';
import { sendJson } from '../../http.js';
import type { RouteContext } from '../../router.js';
import { RevisionMismatch } from './errors.js';
import { inputShapes, readInput } from './inputs.js';
import { parseFunctionName } from './names.js';
import { optionalNumber, optionalString, paginate, toFunctionConfiguration } from './shapes.js';

type Body = Record<string, unknown>;

/** A request carrying a zip is base64 JSON: about 4/3 of the zip plus the configuration. */
const MAX_CODE_REQUEST_BYTES = Math.ceil((PACKAGE_LIMITS.zippedBytes * 4) / 3) + 1024 * 1024;
const MAX_CONFIG_REQUEST_BYTES = 1024 * 1024;

/** CreateFunction: POST /2015-03-31/functions (201 FunctionConfiguration). */
export async function createFunction({ engine, req, res }: RouteContext): Promise<void> {
  const body = await readInput(req, inputShapes.CreateFunction, MAX_CODE_REQUEST_BYTES);
  const name = optionalString(body, 'FunctionName');
  if (!name) throw new InvalidParameterValue('FunctionName is required');
  const handler = optionalString(body, 'Handler');
  if (!handler) throw new InvalidParameterValue('Handler is required for a Zip package');
  if (body.PackageType === 'Image') throw new InvalidParameterValue('lambdata runs Zip packages only, not images');
  const zip = readZip(body.Code as Body | undefined);
  const fn = await engine.functions.create({
    name: parseFunctionName(name).name,
    handler,
    ...configFields(body),
    code: { zip },
    publish: body.Publish === true,
  });
  const meta = engine.functionMetadata;
  const role = optionalString(body, 'Role');
  if (role) meta.setRole(fn.name, role);
  if (body.Tags && typeof body.Tags === 'object') meta.tag(fn.name, body.Tags as Record<string, string>);
  sendJson(res, 201, toFunctionConfiguration(fn, meta.role(fn.name)));
}

/** GetFunction: configuration, a download URL for the code, tags and reserved concurrency. */
export function getFunction({ engine, req, res, url, params }: RouteContext): void {
  const { name, qualifier } = parseFunctionName(params.name ?? '', url.searchParams.get('Qualifier'));
  const fn = engine.functions.get(name, qualifier);
  const meta = engine.functionMetadata;
  const location = new URL(
    `/_lambdata/functions/${encodeURIComponent(name)}/code`,
    `http://${req.headers.host ?? 'localhost'}`,
  );
  if (fn.version !== '$LATEST') location.searchParams.set('qualifier', fn.version);
  const reserved = engine.functions.settings(name).reservedConcurrency;
  sendJson(res, 200, {
    Configuration: toFunctionConfiguration(fn, meta.role(name)),
    Code: { RepositoryType: 'S3', Location: location.href },
    Tags: meta.tags(name),
    ...(reserved === null ? {} : { Concurrency: { ReservedConcurrentExecutions: reserved } }),
  });
}

/** GetFunctionConfiguration. */
export function getFunctionConfiguration({ engine, res, url, params }: RouteContext): void {
  const { name, qualifier } = parseFunctionName(params.name ?? '', url.searchParams.get('Qualifier'));
  sendJson(
    res,
    200,
    toFunctionConfiguration(engine.functions.get(name, qualifier), engine.functionMetadata.role(name)),
  );
}

/** ListFunctions: $LATEST of every function by name (FunctionVersion=ALL adds versions), paged by Marker/MaxItems. */
export function listFunctions({ engine, res, url }: RouteContext): void {
  const all = url.searchParams.get('FunctionVersion') === 'ALL';
  const latest = [...engine.functions.list()].sort((a, b) => a.name.localeCompare(b.name));
  const versions = all ? latest.flatMap((fn) => engine.functions.listVersions(fn.name)) : latest;
  const meta = engine.functionMetadata;
  const page = paginate(versions, url);
  sendJson(res, 200, {
    Functions: page.items.map((fn) => toFunctionConfiguration(fn, meta.role(fn.name))),
    ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}),
  });
}

/** ListVersionsByFunction: $LATEST then published versions in order. */
export function listVersionsByFunction({ engine, res, url, params }: RouteContext): void {
  const { name } = parseFunctionName(params.name ?? '');
  const versions = engine.functions.listVersions(name);
  const role = engine.functionMetadata.role(name);
  const page = paginate(versions, url);
  sendJson(res, 200, {
    Versions: page.items.map((fn) => toFunctionConfiguration(fn, role)),
    ...(page.nextMarker ? { NextMarker: page.nextMarker } : {}),
  });
}

/** UpdateFunctionCode: a new ZipFile, optionally publishing a version. */
export async function updateFunctionCode({ engine, req, res, params }: RouteContext): Promise<void> {
  const { name } = parseFunctionName(params.name ?? '');
  const body = await readInput(req, inputShapes.UpdateFunctionCode, MAX_CODE_REQUEST_BYTES);
  checkRevision(engine.functions.get(name), body);
  const fn = await engine.functions.updateCode(name, { zip: readZip(body) }, { publish: body.Publish === true });
  sendJson(res, 200, toFunctionConfiguration(fn, engine.functionMetadata.role(name)));
}

/** UpdateFunctionConfiguration: handler, runtime, memory, timeout, environment, description, storage, role. */
export async function updateFunctionConfiguration({ engine, req, res, params }: RouteContext): Promise<void> {
  const { name } = parseFunctionName(params.name ?? '');
  const body = await readInput(req, inputShapes.UpdateFunctionConfiguration, MAX_CONFIG_REQUEST_BYTES);
  checkRevision(engine.functions.get(name), body);
  const handler = optionalString(body, 'Handler');
  const fn = engine.functions.updateConfig(name, { ...configFields(body), ...(handler ? { handler } : {}) });
  const role = optionalString(body, 'Role');
  const meta = engine.functionMetadata;
  if (role) meta.setRole(name, role);
  sendJson(res, 200, toFunctionConfiguration(fn, meta.role(name)));
}

/** DeleteFunction: the whole function, or one published version with Qualifier (204). */
export function deleteFunction({ engine, res, url, params }: RouteContext): void {
  const { name, qualifier } = parseFunctionName(params.name ?? '', url.searchParams.get('Qualifier'));
  engine.functions.delete(name, qualifier);
  if (!qualifier) engine.functionMetadata.forget(name);
  res.writeHead(204);
  res.end();
}

/** PublishVersion: snapshots $LATEST as the next version (201). */
export async function publishVersion({ engine, req, res, params }: RouteContext): Promise<void> {
  const { name } = parseFunctionName(params.name ?? '');
  const body = await readInput(req, inputShapes.PublishVersion, MAX_CONFIG_REQUEST_BYTES);
  const latest = engine.functions.get(name);
  checkRevision(latest, body);
  const sha = optionalString(body, 'CodeSha256');
  if (sha && sha !== latest.codeSha256) {
    throw new InvalidParameterValue(
      `CodeSha256 (${sha}) is different from current CodeSha256 in $LATEST (${latest.codeSha256})`,
    );
  }
  const fn = engine.functions.publish(name, optionalString(body, 'Description'));
  sendJson(res, 201, toFunctionConfiguration(fn, engine.functionMetadata.role(name)));
}

/** The registry's configuration fields present in a Create/UpdateFunctionConfiguration body. */
function configFields(body: Body) {
  const fields: FunctionConfigPatch = {};
  const runtime = optionalString(body, 'Runtime');
  if (runtime) fields.runtime = runtime;
  const memory = optionalNumber(body, 'MemorySize');
  if (memory !== undefined) fields.memoryMb = memory;
  const timeout = optionalNumber(body, 'Timeout');
  if (timeout !== undefined) fields.timeoutS = timeout;
  const storage = (body.EphemeralStorage as Body | undefined)?.Size;
  if (typeof storage === 'number') fields.ephemeralStorageMb = storage;
  const variables = (body.Environment as Body | undefined)?.Variables;
  if (variables && typeof variables === 'object') fields.environment = variables as Record<string, string>;
  const description = optionalString(body, 'Description');
  if (description !== undefined) fields.description = description;
  // `DeadLetterConfig: {}` (no TargetArn) and an empty TargetArn both remove the dead-letter target.
  const deadLetter = body.DeadLetterConfig as Body | undefined;
  if (deadLetter) fields.deadLetterTargetArn = optionalString(deadLetter, 'TargetArn') ?? '';
  return fields;
}

/** The zip package of a Code object: ZipFile (base64) only; S3 locations and images are refused. */
function readZip(code: Body | undefined): Buffer {
  if (!code || typeof code !== 'object') throw new InvalidParameterValue('Code is required');
  if (typeof code.ZipFile !== 'string' || code.ZipFile === '') {
    if (code.S3Bucket || code.S3Key) {
      throw new InvalidParameterValue(
        'Code.S3Bucket/S3Key are not supported by lambdata: upload the package as ZipFile',
      );
    }
    throw new InvalidParameterValue('Code.ZipFile is required');
  }
  const zip = Buffer.from(code.ZipFile, 'base64');
  if (zip.length > PACKAGE_LIMITS.zippedBytes) {
    throw new RequestTooLarge(
      `Zipped package is ${zip.length} bytes; the limit is ${PACKAGE_LIMITS.zippedBytes} bytes`,
    );
  }
  return zip;
}

function checkRevision(fn: FunctionVersion, body: Body): void {
  const revision = optionalString(body, 'RevisionId');
  if (revision && revision !== fn.revisionId) {
    throw new RevisionMismatch();
  }
}
