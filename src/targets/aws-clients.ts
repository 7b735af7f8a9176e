/**
 * The SDK clients of one target and the translation of their failures into errors that name the
 * target and the resource and say what to do. Credentials come from the clients' default chain
 * (environment, shared files and `profile`, SSO, container and instance roles); none are stored.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { LambdataError, ResourceNotFound, TooManyRequests } from '../shared/errors.js';
import { TargetAccessDenied, TargetCredentialsMissing, TargetRequestFailed, TargetSlowDown } from './errors.js';
import type { TargetConfig } from './types.js';

/** Attempts of each S3 call: the SDK retries 503 SlowDown and 5xx with exponential backoff and full jitter. */
export const S3_ATTEMPTS = 8;

/** The two clients a target needs. */
export interface TargetClients {
  lambda: LambdaClient;
  s3: S3Client;
}

/** Builds the Lambda and S3 clients of a target. */
export function createClients(target: TargetConfig): TargetClients {
  const common = {
    region: target.region,
    ...(target.profile ? { profile: target.profile } : {}),
    ...(target.endpoint ? { endpoint: target.endpoint } : {}),
  };
  return {
    // Invoke's 429s are retried by the invoker itself (full jitter, without spending a task's attempts).
    lambda: new LambdaClient({ ...common, maxAttempts: 1 }),
    s3: new S3Client({ ...common, maxAttempts: S3_ATTEMPTS, forcePathStyle: target.endpoint !== undefined }),
  };
}

/** Error names the SDK gives for missing or unusable credentials. */
const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'InvalidClientTokenId', 'UnrecognizedClientException']);
const DENIED = new Set(['AccessDenied', 'AccessDeniedException', 'SignatureDoesNotMatch', 'InvalidSignatureException']);

/**
 * Translates an SDK failure on `resource` of target `target` into a LambdataError with a message
 * that says what to do (errors already translated pass through).
 */
export function targetError(target: TargetConfig, resource: string, err: unknown): LambdataError {
  if (err instanceof LambdataError) return err;
  const e = err as Error & { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? e.Code ?? 'Error';
  const where = `target ${target.name} (${target.region}${target.endpoint ? `, ${target.endpoint}` : ''})`;
  if (CREDENTIAL_ERRORS.has(name) || /Could not load credentials|Region is missing/i.test(e.message ?? ''))
    return new TargetCredentialsMissing(
      `${where}: no usable AWS credentials for ${resource} (${e.message}). Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ` +
        `AWS_PROFILE or \`aws sso login\` for the server's process, or give the target a profile: lambdata targets add ${target.name} --profile P`,
      { cause: err },
    );
  if (DENIED.has(name) || e.$metadata?.httpStatusCode === 403)
    return new TargetAccessDenied(
      `${where}: access denied to ${resource} (${e.message}). Grant the caller the policy in docs/TARGETS.md, ` +
        'or check that the credentials belong to the target’s account',
      { cause: err },
    );
  if (name === 'TooManyRequestsException' || e.$metadata?.httpStatusCode === 429)
    return new TooManyRequests(
      `${where}: ${resource} is throttled (429) after every retry; lower the job's --concurrency or raise the account's concurrency quota`,
      'ConcurrentInvocationLimitExceeded',
      { cause: err },
    );
  if (name === 'SlowDown' || e.$metadata?.httpStatusCode === 503)
    return new TargetSlowDown(
      `${where}: S3 answered 503 SlowDown for ${resource} after ${S3_ATTEMPTS} attempts; spread the keys over more prefixes or retry later`,
      { cause: err },
    );
  if (name === 'ResourceNotFoundException') return new ResourceNotFound(`${where}: ${resource} does not exist`);
  return new TargetRequestFailed(`${where}: ${resource} failed: ${name}: ${e.message}`, { cause: err });
}
