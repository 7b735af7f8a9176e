import { PACKAGE_LIMITS } from '../../invoke/index.js';
import { InvalidParameterValue, RequestTooLarge } from '../../shared/errors.js';
import type { RemoteFunction, TargetConfig } from '../../targets/index.js';
import { readJsonObject, sendJson } from '../http.js';
import type { Route, RouteContext } from '../router.js';
import type { DeletedAnswer, TargetDeployRequest, TargetList, TargetRequest } from './contract.js';

/** A zipped package past 50 MB goes to a target through S3; none can be larger than 250 MB unzipped. */
const MAX_TARGET_ZIP = PACKAGE_LIMITS.unzippedBytes;
const MAX_REQUEST = Math.ceil((MAX_TARGET_ZIP * 4) / 3) + 1024 * 1024;

/** Scale-out targets under /_lambdata: list, add, remove, and deploy a function to one. */
export const routes: Route[] = [
  { method: 'GET', path: '/targets', handler: listTargets },
  { method: 'PUT', path: '/targets/:name', handler: putTarget },
  { method: 'DELETE', path: '/targets/:name', handler: deleteTarget },
  { method: 'PUT', path: '/targets/:name/functions/:function', handler: deployToTarget },
];

function listTargets({ engine, res }: RouteContext): void {
  sendJson(res, 200, { targets: engine.targets.list() } satisfies TargetList);
}

async function putTarget({ engine, req, res, params }: RouteContext): Promise<void> {
  const body = await readJsonObject<Partial<TargetRequest>>(req, 64 * 1024);
  const target: TargetConfig = engine.targets.add({
    name: params.name ?? '',
    region: body.region as string,
    profile: body.profile,
    endpoint: body.endpoint,
    roleArn: body.roleArn,
    codeBucket: body.codeBucket,
    architecture: body.architecture,
  });
  sendJson(res, 200, target);
}

function deleteTarget({ engine, res, params }: RouteContext): void {
  engine.targets.remove(params.name ?? '');
  sendJson(res, 200, { deleted: params.name } satisfies DeletedAnswer);
}

/** PUT: creates or updates the function on the target and answers once it is Active / Successful. */
async function deployToTarget({ engine, req, res, params }: RouteContext): Promise<void> {
  const body = await readJsonObject<Partial<TargetDeployRequest>>(req, MAX_REQUEST);
  if (typeof body.zipBase64 !== 'string') throw new InvalidParameterValue('zipBase64 (the zipped package) is required');
  if (typeof body.handler !== 'string' || !body.handler) throw new InvalidParameterValue('handler is required');
  const zip = Buffer.from(body.zipBase64, 'base64');
  if (zip.length > MAX_TARGET_ZIP)
    throw new RequestTooLarge(`The zip is ${zip.length} bytes; a target deploy takes at most ${MAX_TARGET_ZIP}`);
  const fn: RemoteFunction = await engine.targets.deploy(params.name ?? '', {
    name: params.function ?? '',
    handler: body.handler,
    runtime: body.runtime,
    memoryMb: body.memoryMb,
    timeoutS: body.timeoutS,
    environment: body.environment,
    description: body.description,
    roleArn: body.roleArn,
    zip,
  });
  sendJson(res, fn.created ? 201 : 200, fn);
}
