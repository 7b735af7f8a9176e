/**
 * Named scale-out targets: `local` (this machine, the default) and AWS accounts/regions (or
 * Lambda/S3-compatible endpoints). The one place a backend is chosen: a target name resolves to
 * the Invoker, ObjectSource and function deployer jobs use (DESIGN.md, Scale-out).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { type Zippable, zipSync } from 'fflate';
import type { InvocationRecord } from '../invoke/index.js';
import type { JobBackend } from '../jobs/index.js';
import type { EngineContext } from '../shared/context.js';
import { InvalidParameterValue, ResourceNotFound } from '../shared/errors.js';
import { createClients } from './aws-clients.js';
import { LambdaDeployer } from './lambda-deployer.js';
import { LambdaInvoker } from './lambda-invoker.js';
import { lambdaPrices, parseReport, recordFromReport } from './prices.js';
import { S3ObjectSource } from './s3-source.js';
import { TargetStore } from './target-store.js';
import {
  ARCHITECTURES,
  type Architecture,
  LOCAL_TARGET,
  type RemoteDeploy,
  type RemoteFunction,
  type TargetConfig,
} from './types.js';

/** What `add` takes (the rest of TargetConfig is filled in). */
export type TargetInput = Omit<TargetConfig, 'createdAt' | 'architecture'> & { architecture?: string };

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PROFILE = /^[\w.@+-]{1,128}$/;

/** A remote target's clients and the pieces built on them. */
interface Remote {
  config: TargetConfig;
  invoker: LambdaInvoker;
  objects: S3ObjectSource;
  deployer: LambdaDeployer;
}

/** The registry of targets and the backends they resolve to. */
export class Targets {
  readonly #store: TargetStore;
  readonly #remotes = new Map<string, Remote>();

  constructor(context: EngineContext) {
    this.#store = new TargetStore(context.db);
  }

  /**
   * Adds (or replaces) a named AWS target.
   * @throws InvalidParameterValue naming the bad option (the name `local` is taken by this machine).
   */
  add(input: TargetInput): TargetConfig {
    const config = validateTarget(input);
    this.#store.put(config);
    this.#remotes.delete(config.name);
    return config;
  }

  /** Every stored target (the implicit `local` is not stored). */
  list(): TargetConfig[] {
    return this.#store.list();
  }

  /** A stored target. @throws ResourceNotFound. */
  get(name: string): TargetConfig {
    const config = this.#store.get(name);
    if (!config)
      throw new ResourceNotFound(
        `Target not found: ${name} (add it: lambdata targets add ${name} --region R [--profile P])`,
      );
    return config;
  }

  /** Removes a target (functions and objects on it are left alone). @throws ResourceNotFound. */
  remove(name: string): void {
    if (!this.#store.delete(name)) throw new ResourceNotFound(`Target not found: ${name}`);
    this.#remotes.delete(name);
  }

  /**
   * Creates or updates a function on a target from its zip and waits until it can run.
   * @throws ResourceNotFound for an unknown target; the deployer's errors.
   */
  deploy(target: string, spec: RemoteDeploy): Promise<RemoteFunction> {
    return this.#remote(target).deployer.deploy(spec);
  }

  /**
   * The backend a job on `target` uses; `local` is not resolved here (the job service has it).
   * @throws ResourceNotFound for an unknown target.
   */
  backend(target: string): JobBackend {
    const remote = this.#remote(target);
    const { config } = remote;
    return {
      name: config.name,
      invoker: remote.invoker,
      objects: remote.objects,
      functions: {
        has: (name) => remote.deployer.has(name),
        create: (spec) =>
          remote.deployer.deploy({
            name: spec.name,
            handler: spec.handler,
            memoryMb: spec.memoryMb,
            timeoutS: spec.timeoutS,
            environment: spec.environment,
            zip: zipDir(spec.code.dir),
          }),
        updateCode: (name, code) => remote.deployer.deploy({ name, handler: 'index.handler', zip: zipDir(code.dir) }),
      },
      childRecord: (functionName, trigger, report, failed): InvocationRecord | undefined => {
        const figures = report ? parseReport(report) : undefined;
        return figures
          ? recordFromReport(functionName, trigger, figures, lambdaPrices(config.region, config.architecture), failed)
          : undefined;
      },
    };
  }

  #remote(name: string): Remote {
    let remote = this.#remotes.get(name);
    if (!remote) {
      const config = this.get(name);
      const clients = createClients(config);
      remote = {
        config,
        invoker: new LambdaInvoker(clients.lambda, config, lambdaPrices(config.region, config.architecture)),
        objects: new S3ObjectSource(clients.s3, config),
        deployer: new LambdaDeployer(clients, config),
      };
      this.#remotes.set(name, remote);
    }
    return remote;
  }
}

/** Checks a target's options. @throws InvalidParameterValue naming the bad option. */
export function validateTarget(input: TargetInput): TargetConfig {
  if (typeof input.name !== 'string' || !NAME.test(input.name))
    throw new InvalidParameterValue('a target name is 1-64 letters, digits, - and _');
  if (input.name === LOCAL_TARGET)
    throw new InvalidParameterValue("'local' is this machine's own target; pick another name");
  if (typeof input.region !== 'string' || !REGION.test(input.region))
    throw new InvalidParameterValue(`--region: ${String(input.region)} is not an AWS region (e.g. us-east-1)`);
  if (input.profile !== undefined && (typeof input.profile !== 'string' || !PROFILE.test(input.profile)))
    throw new InvalidParameterValue('--profile must name a profile of the shared AWS config files');
  if (input.endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(String(input.endpoint));
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      throw new InvalidParameterValue(`--endpoint: ${String(input.endpoint)} is not an http(s) URL`);
  }
  if (input.roleArn !== undefined && (typeof input.roleArn !== 'string' || !ROLE_ARN.test(input.roleArn)))
    throw new InvalidParameterValue(
      `--role-arn: ${String(input.roleArn)} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)`,
    );
  if (input.codeBucket !== undefined && (typeof input.codeBucket !== 'string' || !BUCKET.test(input.codeBucket)))
    throw new InvalidParameterValue(`--code-bucket: ${String(input.codeBucket)} is not a bucket name`);
  const architecture = (input.architecture ?? 'x86_64') as Architecture;
  if (!ARCHITECTURES.includes(architecture))
    throw new InvalidParameterValue(`--architecture must be one of ${ARCHITECTURES.join(', ')}`);
  return {
    name: input.name,
    region: input.region,
    ...(input.profile ? { profile: input.profile } : {}),
    ...(input.endpoint ? { endpoint: String(input.endpoint).replace(/\/$/, '') } : {}),
    ...(input.roleArn ? { roleArn: input.roleArn } : {}),
    ...(input.codeBucket ? { codeBucket: input.codeBucket } : {}),
    architecture,
    createdAt: Date.now(),
  };
}

/** Zips a package directory (a built-in's bundle) as the local packager does. */
function zipDir(dir: string): Uint8Array {
  const files: Zippable = {};
  const walk = (at: string) => {
    for (const entry of readdirSync(at)) {
      const path = join(at, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files[relative(dir, path).split('\\').join('/')] = readFileSync(path);
    }
  };
  walk(dir);
  return zipSync(files, { level: 6 });
}
