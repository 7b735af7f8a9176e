/**
 * What starts a Runtime API environment: the package's own `bootstrap` (custom runtimes) or a
 * machine interpreter running one of lambdata's bootstraps (Python), with paths as the environment
 * sees them (INSIDE in a namespace sandbox).
 */
import { accessSync, closeSync, constants, existsSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { distPath } from '../shared/paths.js';
import { RUN_ERRORS } from './run-errors.js';
import { runtimeFamily } from './runtimes.js';
import { INSIDE } from './sandbox.js';
import type { FunctionErrorShape, RuntimeFunction } from './types.js';

/** A command line. */
export interface Program {
  command: string;
  args: string[];
}

const BASH = '/bin/bash';
const SH_IS_BASH = /bash$/.test(realpathOr('/bin/sh'));

/**
 * The program serving the Runtime API for `fn`: the package's `bootstrap`, or a machine
 * interpreter running one of ours (paths as the environment sees them), or why none can start.
 */
export function runtimeApiProgram(fn: RuntimeFunction, isolated: boolean): Program | { error: FunctionErrorShape } {
  const launch = runtimeFamily(fn.runtime)?.launch;
  if (launch?.kind === 'interpreter') {
    const interpreter = launch.interpreter();
    if (!interpreter) {
      const missing = runtimeFamily(fn.runtime)?.unavailable(fn.runtime) ?? `${fn.runtime} is not installed`;
      return { error: { errorType: RUN_ERRORS.InvalidEntrypoint, errorMessage: missing } };
    }
    return {
      command: interpreter.path,
      args: [isolated ? `${INSIDE.dist}/${launch.script}` : distPath(launch.script)],
    };
  }
  const bootstrap = join(fn.codeDir, 'bootstrap');
  if (!existsSync(bootstrap)) {
    return {
      error: {
        errorType: RUN_ERRORS.InvalidEntrypoint,
        errorMessage: `Couldn't find valid bootstrap(s): [${isolated ? `${INSIDE.task}/bootstrap` : bootstrap}]`,
      },
    };
  }
  const path = isolated ? `${INSIDE.task}/bootstrap` : bootstrap;
  if (!isExecutableFile(bootstrap)) {
    return {
      error: {
        errorType: RUN_ERRORS.InvalidEntrypoint,
        errorMessage: `Error: fork/exec ${path}: permission denied (the bootstrap must be an executable file: chmod 755 bootstrap before zipping)`,
      },
    };
  }
  return needsBash(bootstrap) ? { command: BASH, args: [path] } : { command: path, args: [] };
}

/**
 * True for an executable `#!/bin/sh` bootstrap on a machine whose /bin/sh is not bash: Amazon
 * Linux's is, and scripts written for `provided*` (AWS's own tutorial among them) rely on that.
 */
function needsBash(bootstrap: string): boolean {
  if (SH_IS_BASH || !existsSync(BASH)) return false;
  try {
    accessSync(bootstrap, constants.X_OK);
  } catch {
    return false; // not executable: the exec reports it
  }
  const fd = openSync(bootstrap, 'r');
  try {
    const head = Buffer.alloc(64);
    const read = readSync(fd, head, 0, head.length, 0);
    return /^#!\s*\/bin\/sh(\s|$)/.test(head.toString('latin1', 0, read));
  } finally {
    closeSync(fd);
  }
}

/** True for a regular file with an execute bit (whoever the environment runs as, it needs one). */
function isExecutableFile(path: string): boolean {
  const stat = statSync(path);
  return stat.isFile() && (stat.mode & 0o111) !== 0;
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path; // no /bin/sh at all
  }
}
