import { RUNTIME_IDS, runtimeFamily } from '../runtime/index.js';
import { arnService, isDestinationArn } from '../shared/arn.js';
import { InvalidParameterValue } from '../shared/errors.js';
import type { EventInvokeConfig } from './types.js';

/** Fields of a function's configuration that can be validated on their own. */
export interface ConfigFields {
  handler?: string;
  runtime?: string;
  memoryMb?: number;
  timeoutS?: number;
  ephemeralStorageMb?: number;
  environment?: Record<string, string>;
  description?: string;
  reservedConcurrency?: number | null;
}

export const DEFAULTS = {
  runtime: 'nodejs20.x',
  memoryMb: 128,
  timeoutS: 3,
  ephemeralStorageMb: 512,
  maximumRetryAttempts: 2,
  maximumEventAgeInSeconds: 21600,
} as const;

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const ENV_KEY = /^[a-zA-Z][a-zA-Z0-9_]*$/;
const ENV_MAX_BYTES = 4096;
/** Keys the Lambda service sets itself and refuses from users. */
const RESERVED_ENV = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

/** Checks a function name as AWS does. Throws InvalidParameterValueException naming FunctionName. */
export function validateName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidParameterValue(
      `FunctionName: '${String(name)}' must be 1-64 letters, digits, hyphens or underscores`,
    );
  }
}

/**
 * Checks each given configuration field. The handler is checked against the syntax of `runtime`, or
 * of `currentRuntime` (the function's, when only the handler changes). Throws
 * InvalidParameterValueException naming the first bad field, or saying what to install when the
 * runtime cannot run on this machine.
 */
export function validateConfig(fields: ConfigFields, currentRuntime: string = DEFAULTS.runtime): void {
  const { handler, runtime, memoryMb, timeoutS, ephemeralStorageMb, environment, description } = fields;
  if (runtime !== undefined) {
    const family = typeof runtime === 'string' ? runtimeFamily(runtime) : undefined;
    if (!family) {
      throw new InvalidParameterValue(
        `Runtime: '${String(runtime)}' is not supported; use one of ${RUNTIME_IDS.join(', ')}`,
      );
    }
    const missing = family.unavailable(runtime);
    if (missing) throw new InvalidParameterValue(missing);
  }
  if (handler !== undefined) {
    const family = runtimeFamily(runtime ?? currentRuntime);
    if (typeof handler !== 'string' || handler.length > 128 || !family?.acceptsHandler(handler)) {
      throw new InvalidParameterValue(
        `Handler: '${String(handler)}' must look like ${family?.handlerSyntax ?? 'path/file.export'}`,
      );
    }
  }
  checkRange('MemorySize', memoryMb, 128, 10240);
  checkRange('Timeout', timeoutS, 1, 900);
  checkRange('EphemeralStorage', ephemeralStorageMb, 512, 10240);
  if (environment !== undefined) validateEnvironment(environment);
  if (description !== undefined && (typeof description !== 'string' || description.length > 256)) {
    throw new InvalidParameterValue('Description: must be a string of at most 256 characters');
  }
  const reserved = fields.reservedConcurrency;
  if (reserved !== undefined && reserved !== null) {
    if (!Number.isInteger(reserved) || reserved < 0) {
      throw new InvalidParameterValue(`ReservedConcurrentExecutions: ${reserved} must be a whole number >= 0`);
    }
  }
}

/** Checks an event invoke config and fills defaults. Throws InvalidParameterValueException naming the bad field. */
export function validateEventInvokeConfig(config: Partial<EventInvokeConfig>): EventInvokeConfig {
  const result: EventInvokeConfig = {
    maximumRetryAttempts: config.maximumRetryAttempts ?? DEFAULTS.maximumRetryAttempts,
    maximumEventAgeInSeconds: config.maximumEventAgeInSeconds ?? DEFAULTS.maximumEventAgeInSeconds,
  };
  checkRange('MaximumRetryAttempts', result.maximumRetryAttempts, 0, 2);
  checkRange('MaximumEventAgeInSeconds', result.maximumEventAgeInSeconds, 60, 21600);
  for (const key of ['onSuccess', 'onFailure'] as const) {
    const arn = config[key];
    if (arn === undefined || arn === null || arn === '') continue;
    const field = `DestinationConfig.${key === 'onSuccess' ? 'OnSuccess' : 'OnFailure'}.Destination`;
    if (typeof arn !== 'string' || !isDestinationArn(arn)) {
      throw new InvalidParameterValue(`${field}: '${String(arn)}' must be a function, queue or topic ARN`);
    }
    if (isFifoTarget(arn)) throw new InvalidParameterValue(`${field}: ${FIFO_REFUSED}: ${arn}`);
    result[key] = arn;
  }
  return result;
}

/**
 * Lambda sends invocation records and dead letters only to standard queues and topics: a FIFO one
 * (its name ends in `.fifo`) is refused when configured, as for a CDK on-failure destination.
 */
const FIFO_REFUSED = 'FIFO SQS queues and FIFO SNS topics are not supported; use a standard queue or topic';

/** What a dead-letter target check asks of the services that own queues and topics. */
export type TargetExists = (arn: string) => boolean;

/** The action a function's dead-letter target is sent with, as AWS names it in its refusal. */
const DEAD_LETTER_ACTIONS: Readonly<Record<string, string>> = { sqs: 'SendMessage on SQS', sns: 'Publish on SNS' };

/**
 * Checks DeadLetterConfig.TargetArn: an existing SQS queue or SNS topic, or '' (none). A target that
 * does not exist is refused as AWS words it (it checks the execution role can send to it; lambdata's
 * one account can send to anything that exists). Throws InvalidParameterValueException.
 */
export function validateDeadLetterTarget(arn: unknown, exists: TargetExists): void {
  if (arn === '') return;
  if (typeof arn !== 'string' || !arn.startsWith('arn:')) {
    throw new InvalidParameterValue(`Invalid dead letter queue ARN: ARNs must start with 'arn:': ${String(arn)}`);
  }
  const action = DEAD_LETTER_ACTIONS[arnService(arn) ?? ''];
  if (!action) {
    throw new InvalidParameterValue(`DeadLetterConfig.TargetArn: '${arn}' must be an SQS queue or SNS topic ARN`);
  }
  if (isFifoTarget(arn)) throw new InvalidParameterValue(`DeadLetterConfig.TargetArn: ${FIFO_REFUSED}: ${arn}`);
  if (!exists(arn))
    throw new InvalidParameterValue(`The provided execution role does not have permissions to call ${action}`);
}

function isFifoTarget(arn: string): boolean {
  const service = arnService(arn);
  return (service === 'sqs' || service === 'sns') && arn.endsWith('.fifo');
}

function validateEnvironment(environment: Record<string, string>): void {
  if (typeof environment !== 'object' || environment === null || Array.isArray(environment)) {
    throw new InvalidParameterValue('Environment.Variables: must be an object of strings');
  }
  for (const [key, value] of Object.entries(environment)) {
    if (!ENV_KEY.test(key)) {
      throw new InvalidParameterValue(`Environment.Variables: key '${key}' must match [a-zA-Z][a-zA-Z0-9_]*`);
    }
    if (RESERVED_ENV.has(key)) {
      throw new InvalidParameterValue(`Environment.Variables: key '${key}' is reserved by the runtime`);
    }
    if (typeof value !== 'string') {
      throw new InvalidParameterValue(`Environment.Variables: value of '${key}' must be a string`);
    }
  }
  const size = Buffer.byteLength(JSON.stringify(environment));
  if (size > ENV_MAX_BYTES) {
    throw new InvalidParameterValue(`Environment.Variables: ${size} bytes exceeds the 4 KB limit`);
  }
}

function checkRange(field: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidParameterValue(`${field}: ${value} must be a whole number from ${min} to ${max}`);
  }
}
