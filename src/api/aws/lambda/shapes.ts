import type { EventInvokeConfig, FunctionVersion } from '../../../invoke/index.js';
import { roleArn } from '../../../shared/arn.js';
import { InvalidParameterValue, InvalidRequestContent } from '../../../shared/errors.js';

/** FunctionConfiguration as the Lambda API returns it (the fields lambdata fills in). */
export interface FunctionConfiguration {
  FunctionName: string;
  FunctionArn: string;
  Runtime: string;
  Role: string;
  Handler: string;
  CodeSize: number;
  Description: string;
  Timeout: number;
  MemorySize: number;
  LastModified: string;
  CodeSha256: string;
  Version: string;
  Environment: { Variables: Record<string, string> };
  EphemeralStorage: { Size: number };
  TracingConfig: { Mode: 'PassThrough' };
  State: 'Active';
  LastUpdateStatus: 'Successful';
  PackageType: 'Zip';
  Architectures: ['x86_64'];
  RevisionId: string;
  DeadLetterConfig?: { TargetArn: string };
}

const DEFAULT_MAX_ITEMS = 50;

/** The role reported for functions created without one (lambdata does not enforce IAM). */
export const DEFAULT_ROLE = roleArn('lambdata-execution-role');

/** Maps a stored function version to the AWS FunctionConfiguration JSON. */
export function toFunctionConfiguration(fn: FunctionVersion, role = DEFAULT_ROLE): FunctionConfiguration {
  const configuration: FunctionConfiguration = {
    FunctionName: fn.name,
    FunctionArn: versionArn(fn),
    Runtime: fn.runtime === 'nodejs' ? 'nodejs20.x' : fn.runtime,
    Role: role,
    Handler: fn.handler,
    CodeSize: fn.codeSize,
    Description: fn.description,
    Timeout: fn.timeoutS,
    MemorySize: fn.memoryMb,
    LastModified: toAwsTimestamp(fn.lastModified),
    CodeSha256: fn.codeSha256,
    Version: fn.version,
    Environment: { Variables: fn.environment },
    EphemeralStorage: { Size: fn.ephemeralStorageMb },
    TracingConfig: { Mode: 'PassThrough' },
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['x86_64'],
    RevisionId: fn.revisionId,
  };
  if (fn.deadLetterTargetArn) configuration.DeadLetterConfig = { TargetArn: fn.deadLetterTargetArn };
  return configuration;
}

/** The ARN AWS reports for a version: unqualified for $LATEST, `…:function:name:3` for published ones. */
export function versionArn(fn: FunctionVersion): string {
  const marker = ':function:';
  const base = `${fn.arn.slice(0, fn.arn.indexOf(marker) + marker.length)}${fn.name}`;
  return fn.version === '$LATEST' ? base : `${base}:${fn.version}`;
}

/** AWS's FunctionConfiguration timestamp format: `2026-11-24T18:00:00.000+0000`. */
export function toAwsTimestamp(iso: string | number): string {
  return new Date(iso).toISOString().replace(/Z$/, '+0000');
}

/** The AWS FunctionEventInvokeConfig JSON (LastModified in epoch seconds, as restJson timestamps are). */
export function toEventInvokeConfig(functionArn: string, cfg: EventInvokeConfig, lastModified = Date.now()) {
  const destinations: Record<string, { Destination: string }> = {};
  if (cfg.onSuccess) destinations.OnSuccess = { Destination: cfg.onSuccess };
  if (cfg.onFailure) destinations.OnFailure = { Destination: cfg.onFailure };
  return {
    FunctionArn: functionArn,
    LastModified: Math.floor(lastModified / 1000),
    MaximumRetryAttempts: cfg.maximumRetryAttempts,
    MaximumEventAgeInSeconds: cfg.maximumEventAgeInSeconds,
    DestinationConfig: destinations,
  };
}

/** Reads an AWS event-invoke-config request body into the engine's shape, keeping unset fields from `current`. */
export function fromEventInvokeConfig(body: Record<string, unknown>, current?: EventInvokeConfig): EventInvokeConfig {
  const dest = (body.DestinationConfig ?? {}) as {
    OnSuccess?: { Destination?: string };
    OnFailure?: { Destination?: string };
  };
  const cfg: EventInvokeConfig = {
    maximumRetryAttempts: optionalNumber(body, 'MaximumRetryAttempts') ?? current?.maximumRetryAttempts ?? 2,
    maximumEventAgeInSeconds:
      optionalNumber(body, 'MaximumEventAgeInSeconds') ?? current?.maximumEventAgeInSeconds ?? 21600,
  };
  const onSuccess = body.DestinationConfig ? dest.OnSuccess?.Destination : current?.onSuccess;
  const onFailure = body.DestinationConfig ? dest.OnFailure?.Destination : current?.onFailure;
  if (onSuccess) cfg.onSuccess = onSuccess;
  if (onFailure) cfg.onFailure = onFailure;
  return cfg;
}

/** A number field of a request body, or undefined; anything else is InvalidRequestContentException. */
export function optionalNumber(body: Record<string, unknown>, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidRequestContent(`${field} must be a number`);
  }
  return value;
}

/** A string field of a request body, or undefined; anything else is InvalidRequestContentException. */
export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidRequestContent(`${field} must be a string`);
  return value;
}

/** One page of a listing by the Lambda API's `Marker` (an offset here) and `MaxItems` (default 50). */
export function paginate<T>(items: T[], url: URL): { items: T[]; nextMarker?: string } {
  const start = Number(url.searchParams.get('Marker') ?? 0);
  const maxItems = Number(url.searchParams.get('MaxItems') ?? DEFAULT_MAX_ITEMS);
  if (!Number.isInteger(start) || start < 0) throw new InvalidParameterValue('Marker is not valid');
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > 10000) {
    throw new InvalidParameterValue('MaxItems must be between 1 and 10000');
  }
  const end = start + maxItems;
  return end < items.length
    ? { items: items.slice(start, end), nextMarker: String(end) }
    : { items: items.slice(start) };
}
