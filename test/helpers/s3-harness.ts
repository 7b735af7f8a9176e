/**
 * An engine with its HTTP server in the test's process, an S3 client and the AWS CLI pointed at it:
 * the setup the S3 behaviour tests share.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { type RunningServer, startServer } from '../../src/api/index.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { AWS_TEST_CONFIG } from './aws.js';
import { runAwsText } from './cli.js';

export interface S3Harness {
  /** A scratch folder; the engine's data lives in `dir/data`. */
  dir: string;
  engine: Engine;
  server: RunningServer;
  s3: S3Client;
  /** Runs the AWS CLI against the server; its standard output. */
  aws(...args: string[]): Promise<string>;
  /** Runs the AWS CLI and parses its JSON output (`{}` when it prints nothing). */
  awsJson<T>(...args: string[]): Promise<T>;
  close(): Promise<void>;
}

export async function startS3Harness(name: string): Promise<S3Harness> {
  const dir = await mkdtemp(join(tmpdir(), `lambdata-${name}-`));
  const engine = await createEngine({ dataDir: join(dir, 'data'), background: false });
  const server = await startServer(engine, { port: 0 });
  const s3 = new S3Client({ endpoint: server.url, forcePathStyle: true, ...AWS_TEST_CONFIG });
  const aws = (...args: string[]) => runAwsText(server.url, dir, ...args);
  return {
    dir,
    engine,
    server,
    s3,
    aws,
    async awsJson<T>(...args: string[]) {
      const out = await aws(...args);
      return (out.trim() ? JSON.parse(out) : {}) as T;
    },
    async close() {
      s3.destroy();
      await server.close();
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What an SDK call that was expected to fail failed with. @throws Error when it succeeded. */
export async function sdkFailure(
  promise: Promise<unknown>,
): Promise<{ name?: string; status?: number; message?: string; headers?: unknown }> {
  try {
    await promise;
  } catch (err) {
    const e = err as {
      name?: string;
      message?: string;
      $metadata?: { httpStatusCode?: number };
      $response?: { headers?: unknown };
    };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message, headers: e.$response?.headers };
  }
  throw new Error('expected a failure');
}

/** A GetObject body as text. */
export const bodyText = async (out: { Body?: { transformToString(): Promise<string> } }) =>
  (await out.Body?.transformToString()) ?? '';
