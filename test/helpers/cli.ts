/** Runs the `lambdata` binary and the `aws` CLI against a test server, with a small explicit environment. */
import { type ChildProcessByStdio, execFile, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** What a finished CLI run printed and how it exited. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Absolute path of the built `lambdata` binary (needs `tsc -p tsconfig.build.json`). */
export const LAMBDATA_BIN = fileURLToPath(new URL('../../bin/lambdata.js', import.meta.url));

const LAMBDATA_ENV = { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'silent' };
const run = promisify(execFile);

/** Runs `lambdata --endpoint <endpoint> …args`; never rejects, the exit code is in the result. */
export function runLambdata(endpoint: string, ...args: string[]): Promise<CliResult> {
  return runLambdataIn(process.cwd(), endpoint, ...args);
}

/** `runLambdata` with `cwd` as the working directory (for relative local paths). */
export function runLambdataIn(cwd: string, endpoint: string, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [LAMBDATA_BIN, '--endpoint', endpoint, ...args],
      { env: LAMBDATA_ENV, cwd, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Starts a long-running `lambdata --endpoint <endpoint> …args` (e.g. `tail`, `logs --follow`); the caller kills it. */
export function spawnLambdata(endpoint: string, ...args: string[]): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, [LAMBDATA_BIN, '--endpoint', endpoint, ...args], {
    env: LAMBDATA_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Runs `aws …args --endpoint-url <endpoint> --output json` with test credentials and `home` as HOME
 * (no user config is read); resolves to stdout parsed as JSON, or null when it printed nothing.
 * @throws the execFile error when the command exits non-zero.
 */
// biome-ignore lint/suspicious/noExplicitAny: AWS CLI JSON output, asserted field by field
export async function runAws(endpoint: string, home: string, ...args: string[]): Promise<Record<string, any> | null> {
  const stdout = await runAwsText(endpoint, home, ...args, '--output', 'json');
  return stdout.trim() ? JSON.parse(stdout) : null;
}

/**
 * Runs `aws …args --endpoint-url <endpoint>` with test credentials and `home` as HOME (no user
 * config is read); resolves to stdout as text.
 * @throws the execFile error when the command exits non-zero.
 */
export async function runAwsText(endpoint: string, home: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('aws', [...args, '--endpoint-url', endpoint], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
      AWS_CONFIG_FILE: awsConfigFile(home),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/**
 * A config file that makes AWS CLI v2 read blob arguments (--payload, --data) as raw text, as v1
 * does; v1 ignores the setting. Tests then pass with either major version.
 */
function awsConfigFile(home: string): string {
  const file = join(home, 'aws-config');
  if (!existsSync(file)) writeFileSync(file, '[default]\ncli_binary_format = raw-in-base64-out\n');
  return file;
}
