/**
 * Creates or updates functions on a target through the Lambda API: the zip from the local
 * packager uploaded directly (or through the target's code bucket past 50 MB), then waits for
 * `State: Active` and `LastUpdateStatus: Successful`.
 */
import { createHash } from 'node:crypto';
import {
  CreateFunctionCommand,
  type FunctionConfiguration,
  GetFunctionCommand,
  type LambdaClient,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { InvalidParameterValue } from '../shared/errors.js';
import { targetError } from './aws-clients.js';
import { TargetFunctionNotReady } from './errors.js';
import type { RemoteDeploy, RemoteFunction, TargetConfig } from './types.js';

/** Zipped packages above this go through S3 (Lambda's direct-upload limit). */
export const DIRECT_UPLOAD_LIMIT = 50 * 1024 * 1024;
const DEFAULT_RUNTIME = 'nodejs20.x';
/** How long a deploy waits for Active / Successful (LAMBDATA_TARGET_READY_S overrides, for tests). */
const READY_WAIT_S = 300;

/** Deploys functions to one target. */
export class LambdaDeployer {
  readonly #lambda: LambdaClient;
  readonly #s3: S3Client;
  readonly #target: TargetConfig;

  constructor(clients: { lambda: LambdaClient; s3: S3Client }, target: TargetConfig) {
    this.#lambda = clients.lambda;
    this.#s3 = clients.s3;
    this.#target = target;
  }

  /** Whether the function exists on the target. @throws target errors other than not-found. */
  async has(name: string): Promise<boolean> {
    try {
      await this.#lambda.send(new GetFunctionCommand({ FunctionName: name }));
      return true;
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return false;
      throw targetError(this.#target, `function ${name}`, err);
    }
  }

  /**
   * Creates the function, or updates its code then its configuration, and waits until it can run.
   * @throws InvalidParameterValue without a role or (past 50 MB) a code bucket; TargetFunctionNotReady; target errors.
   */
  async deploy(spec: RemoteDeploy): Promise<RemoteFunction> {
    const resource = `function ${spec.name}`;
    const code = await this.#code(spec);
    const config = {
      FunctionName: spec.name,
      Handler: spec.handler,
      Runtime: (spec.runtime ?? DEFAULT_RUNTIME) as never,
      MemorySize: spec.memoryMb,
      Timeout: spec.timeoutS,
      ...(spec.environment ? { Environment: { Variables: spec.environment } } : {}),
      ...(spec.description !== undefined ? { Description: spec.description } : {}),
    };
    try {
      const exists = await this.has(spec.name);
      let fn: FunctionConfiguration;
      if (exists) {
        await this.#lambda.send(
          new UpdateFunctionCodeCommand({
            FunctionName: spec.name,
            ...code,
            Architectures: [this.#target.architecture],
          }),
        );
        await this.#waitReady(spec.name, 'updated');
        fn = await this.#lambda.send(
          new UpdateFunctionConfigurationCommand({ ...config, ...(spec.roleArn ? { Role: spec.roleArn } : {}) }),
        );
      } else {
        fn = await this.#lambda.send(
          new CreateFunctionCommand({
            ...config,
            Role: this.#role(spec),
            Code: code,
            Architectures: [this.#target.architecture],
            PackageType: 'Zip',
          }),
        );
      }
      const ready = await this.#waitReady(spec.name, exists ? 'updated' : 'active');
      return {
        target: this.#target.name,
        name: spec.name,
        arn: ready.FunctionArn ?? fn.FunctionArn ?? '',
        state: ready.State ?? 'Active',
        lastUpdateStatus: ready.LastUpdateStatus ?? 'Successful',
        codeSha256: ready.CodeSha256 ?? fn.CodeSha256 ?? '',
        codeSize: ready.CodeSize ?? fn.CodeSize ?? 0,
        created: !exists,
      };
    } catch (err) {
      throw targetError(this.#target, resource, err);
    }
  }

  #role(spec: RemoteDeploy): string {
    const role = spec.roleArn ?? this.#target.roleArn;
    if (!role)
      throw new InvalidParameterValue(
        `deploying ${spec.name} to target ${this.#target.name} needs an execution role: pass --role-arn, or lambdata targets add ${this.#target.name} --role-arn ARN (docs/TARGETS.md has a least-privilege policy)`,
      );
    return role;
  }

  /** The Code of a create or update: the zip itself, or its S3 location past the direct-upload limit. */
  async #code(spec: RemoteDeploy): Promise<{ ZipFile: Uint8Array } | { S3Bucket: string; S3Key: string }> {
    if (spec.zip.length <= DIRECT_UPLOAD_LIMIT) return { ZipFile: spec.zip };
    const bucket = this.#target.codeBucket;
    if (!bucket)
      throw new InvalidParameterValue(
        `the package of ${spec.name} is ${spec.zip.length} bytes zipped, over Lambda's ${DIRECT_UPLOAD_LIMIT}-byte direct upload: give target ${this.#target.name} a code bucket (lambdata targets add ${this.#target.name} --code-bucket B)`,
      );
    const key = `lambdata/code/${spec.name}-${createHash('sha256').update(spec.zip).digest('hex').slice(0, 16)}.zip`;
    try {
      await this.#s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: spec.zip }));
    } catch (err) {
      throw targetError(this.#target, `s3://${bucket}/${key}`, err);
    }
    return { S3Bucket: bucket, S3Key: key };
  }

  /** Waits for Active (after a create) or LastUpdateStatus Successful (after an update). */
  async #waitReady(name: string, what: 'active' | 'updated'): Promise<FunctionConfiguration> {
    const maxWaitTime = Number(process.env.LAMBDATA_TARGET_READY_S) || READY_WAIT_S;
    const wait = what === 'active' ? waitUntilFunctionActiveV2 : waitUntilFunctionUpdatedV2;
    try {
      await wait({ client: this.#lambda, maxWaitTime, minDelay: 1, maxDelay: 5 }, { FunctionName: name });
    } catch (err) {
      const current = await this.#lambda
        .send(new GetFunctionCommand({ FunctionName: name }))
        .then((f) => f.Configuration)
        .catch(() => undefined);
      if (!current) throw targetError(this.#target, `function ${name}`, err);
      throw new TargetFunctionNotReady(
        `function ${name} on target ${this.#target.name} is State ${current.State}, LastUpdateStatus ${current.LastUpdateStatus}` +
          `${current.StateReason ? ` (${current.StateReason})` : ''}${current.LastUpdateStatusReason ? ` (${current.LastUpdateStatusReason})` : ''} ` +
          `after ${maxWaitTime} s; check its role and subnets, then deploy again (aws lambda get-function --function-name ${name} shows why)`,
        { cause: err },
      );
    }
    const answer = await this.#lambda.send(new GetFunctionCommand({ FunctionName: name }));
    return answer.Configuration ?? {};
  }
}
