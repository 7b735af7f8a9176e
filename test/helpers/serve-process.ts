/** `lambdata serve` as its own process over a fresh temp data dir, for end-to-end tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LAMBDATA_BIN } from './cli.js';

/** A running `lambdata serve`; `close()` stops it and removes its data dir. */
export interface ServeProcess {
  url: string;
  /** The serve process's PID. */
  pid: number;
  /** The temp data dir (also usable as HOME for AWS CLI runs). */
  dir: string;
  close(): Promise<void>;
  /** Kills the process with SIGKILL and leaves its data dir (start another on it with `options.dir`). */
  crash(): Promise<void>;
}

/** Extras of `startServe`: more serve flags, more environment, and a reader of its stderr lines. */
export interface ServeOptions {
  args?: string[];
  env?: Record<string, string>;
  /** Called with each stderr line (stderr is inherited otherwise). */
  onStderr?: (line: string) => void;
  /** An existing data dir (one a crashed server left) instead of a fresh one. */
  dir?: string;
}

/** Starts `lambdata serve --port 0` on a temp data dir; resolves once it listens. */
export async function startServe(prefix: string, options: ServeOptions = {}): Promise<ServeProcess> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `lambdata-${prefix}-`));
  const child: ChildProcess = spawn(
    process.execPath,
    [LAMBDATA_BIN, 'serve', '--port', '0', '--data-dir', dir, ...(options.args ?? [])],
    {
      env: {
        PATH: process.env.PATH ?? '',
        LAMBDATA_LOG: 'error',
        LAMBDATA_SANDBOX: process.env.LAMBDATA_SANDBOX ?? '',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', options.onStderr ? 'pipe' : 'inherit'],
    },
  );
  const { onStderr } = options;
  if (onStderr && child.stderr) createInterface({ input: child.stderr }).on('line', onStderr);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`lambdata serve exited with ${code} before listening`)));
    createInterface({ input: child.stdout as NonNullable<ChildProcess['stdout']> }).on('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m?.[1]) resolve(m[1]);
    });
  });
  return {
    url,
    pid: child.pid as number,
    dir,
    async close() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
    async crash() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
