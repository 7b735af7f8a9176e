import type { MappingInput, MappingPatch, MappingView } from '../../../events/index.js';
import { eventSourceMappingArn } from '../../../shared/arn.js';
import { InvalidParameterValue } from '../../../shared/errors.js';
import { sendJson } from '../../http.js';
import { decodePathParam } from '../../router.js';
import type { AwsRequestContext } from '../index.js';
import { sendLambdaError, UnknownOperation } from './errors.js';
import { inputShapes, readInput } from './inputs.js';

type Body = Record<string, unknown>;

/**
 * The event source mapping part of the Lambda REST API:
 * `/2015-03-31/event-source-mappings/` (POST create, GET list) and `/…/{UUID}` (GET, PUT, DELETE).
 */
export async function handle({ engine, req, res, url, requestId }: AwsRequestContext): Promise<void> {
  const method = req.method ?? 'GET';
  const m = /^\/\d{4}-\d{2}-\d{2}\/event-source-mappings\/?([^/]*)\/?$/.exec(url.pathname);
  const headers = { 'x-amzn-RequestId': requestId };
  try {
    if (!m) throw new UnknownOperation(method, url.pathname);
    const uuid = decodePathParam(m[1] ?? '');
    const mappings = engine.mappings;
    if (!uuid && method === 'POST') {
      const body = await readInput(req, inputShapes.CreateEventSourceMapping);
      sendJson(res, 202, toWire(mappings.create(createInput(body)), engine.context.region), headers);
    } else if (!uuid && method === 'GET') {
      const all = mappings.list({
        functionName: url.searchParams.get('FunctionName') ?? undefined,
        eventSourceArn: url.searchParams.get('EventSourceArn') ?? undefined,
      });
      const start = Number(url.searchParams.get('Marker') ?? 0) || 0;
      const max = Number(url.searchParams.get('MaxItems') ?? 100) || 100;
      const page = all.slice(start, start + max);
      const out: Body = { EventSourceMappings: page.map((v) => toWire(v, engine.context.region)) };
      if (start + max < all.length) out.NextMarker = String(start + max);
      sendJson(res, 200, out, headers);
    } else if (uuid && method === 'GET') {
      sendJson(res, 200, toWire(mappings.view(uuid), engine.context.region), headers);
    } else if (uuid && method === 'PUT') {
      const body = await readInput(req, inputShapes.UpdateEventSourceMapping);
      sendJson(res, 202, toWire(await mappings.update(uuid, patchOf(body)), engine.context.region), headers);
    } else if (uuid && method === 'DELETE') {
      sendJson(res, 202, toWire(await mappings.delete(uuid), engine.context.region), headers);
    } else {
      throw new UnknownOperation(method, url.pathname);
    }
  } catch (err) {
    sendLambdaError(res, err, requestId);
  }
}

/** A mapping in the Lambda API's EventSourceMappingConfiguration shape. */
export function toWire(v: MappingView, region: string): Body {
  const stream = v.sourceType !== 'sqs';
  const out: Body = {
    UUID: v.uuid,
    EventSourceMappingArn: eventSourceMappingArn(region, v.uuid),
    BatchSize: v.batchSize,
    MaximumBatchingWindowInSeconds: v.maximumBatchingWindowInSeconds,
    EventSourceArn: v.eventSourceArn,
    FunctionArn: v.functionArn,
    LastModified: v.lastModified / 1000,
    State: v.state,
    StateTransitionReason: v.stateTransitionReason,
    FunctionResponseTypes: v.reportBatchItemFailures ? ['ReportBatchItemFailures'] : [],
  };
  if (stream) {
    Object.assign(out, {
      StartingPosition: v.startingPosition,
      ...(v.startingPositionTimestamp !== undefined
        ? { StartingPositionTimestamp: v.startingPositionTimestamp / 1000 }
        : {}),
      ParallelizationFactor: v.parallelizationFactor,
      MaximumRetryAttempts: v.maximumRetryAttempts,
      MaximumRecordAgeInSeconds: v.maximumRecordAgeInSeconds,
      BisectBatchOnFunctionError: v.bisectBatchOnFunctionError,
      LastProcessingResult: v.lastProcessingResult,
      DestinationConfig: { OnFailure: v.onFailureDestination ? { Destination: v.onFailureDestination } : {} },
      TumblingWindowInSeconds: v.tumblingWindowInSeconds ?? 0,
    });
  } else if (v.maximumConcurrency !== undefined) {
    out.ScalingConfig = { MaximumConcurrency: v.maximumConcurrency };
  }
  return out;
}

function createInput(body: Body): MappingInput {
  if (typeof body.FunctionName !== 'string') throw new InvalidParameterValue('FunctionName is required');
  if (typeof body.EventSourceArn !== 'string') throw new InvalidParameterValue('EventSourceArn is required');
  const ts = body.StartingPositionTimestamp;
  return {
    ...patchOf(body),
    functionName: body.FunctionName,
    eventSourceArn: body.EventSourceArn,
    startingPosition: body.StartingPosition as MappingInput['startingPosition'],
    startingPositionTimestamp:
      ts === undefined ? undefined : typeof ts === 'number' ? ts * 1000 : Date.parse(String(ts)),
  };
}

function patchOf(body: Body): MappingPatch {
  const types = body.FunctionResponseTypes as string[] | undefined;
  const destination = (body.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)?.OnFailure
    ?.Destination;
  const scaling = body.ScalingConfig as { MaximumConcurrency?: number } | undefined;
  return {
    functionName: typeof body.FunctionName === 'string' ? body.FunctionName : undefined,
    enabled: typeof body.Enabled === 'boolean' ? body.Enabled : undefined,
    batchSize: num(body.BatchSize),
    maximumBatchingWindowInSeconds: num(body.MaximumBatchingWindowInSeconds),
    parallelizationFactor: num(body.ParallelizationFactor),
    maximumRetryAttempts: num(body.MaximumRetryAttempts),
    maximumRecordAgeInSeconds: num(body.MaximumRecordAgeInSeconds),
    bisectBatchOnFunctionError:
      typeof body.BisectBatchOnFunctionError === 'boolean' ? body.BisectBatchOnFunctionError : undefined,
    reportBatchItemFailures: types === undefined ? undefined : types.includes('ReportBatchItemFailures'),
    tumblingWindowInSeconds: num(body.TumblingWindowInSeconds),
    onFailureDestination: body.DestinationConfig === undefined ? undefined : destination,
    maximumConcurrency: num(scaling?.MaximumConcurrency),
  };
}

function num(value: unknown): number | undefined {
  return value === undefined || value === null ? undefined : Number(value);
}
