/** Scale-out targets: where functions and jobs run besides this machine (DESIGN.md, Scale-out). */

/** Instruction sets a Lambda function can run on; prices differ by architecture. */
export const ARCHITECTURES = ['x86_64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/**
 * A named AWS target as stored. Credentials are never stored: they come from the standard AWS chain
 * of the server's process (environment, shared config and credentials files, SSO, instance role),
 * from the named `profile` when there is one.
 */
export interface TargetConfig {
  name: string;
  region: string;
  /** A profile of the shared AWS config files. */
  profile?: string;
  /** An explicit endpoint for Lambda and S3 (an S3/Lambda-compatible service, or a lambdata server). */
  endpoint?: string;
  /** The execution role functions deployed there get (unless a deploy names its own). */
  roleArn?: string;
  /** Bucket for packages over the direct-upload limit (50 MB zipped). */
  codeBucket?: string;
  architecture: Architecture;
  createdAt: number;
}

/** The name of the machine's own target. */
export const LOCAL_TARGET = 'local';

/** A function to create or update on a target. */
export interface RemoteDeploy {
  name: string;
  handler: string;
  runtime?: string;
  memoryMb?: number;
  timeoutS?: number;
  environment?: Record<string, string>;
  description?: string;
  /** The zipped package, as the local target's packager makes it. */
  zip: Uint8Array;
  /** Overrides the target's role. */
  roleArn?: string;
}

/** What a deploy to a target answers. */
export interface RemoteFunction {
  target: string;
  name: string;
  arn: string;
  state: string;
  lastUpdateStatus: string;
  codeSha256: string;
  codeSize: number;
  created: boolean;
}
