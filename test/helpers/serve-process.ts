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
  /** The temp data dir (also usable as HOME for AWS CLI runs). */
  dir: string;
  close(): Promise<void>;
}

/** Starts `lambdata serve --port 0` on a temp data dir; resolves once it listens. */
export async function startServe(prefix: string): Promise<ServeProcess> {
  const dir = mkdtempSync(join(tmpdir(), `lambdata-${prefix}-`));
  const child: ChildProcess = spawn(process.execPath, [LAMBDATA_BIN, 'serve', '--port', '0', '--data-dir', dir], {
    env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'error', LAMBDATA_SANDBOX: process.env.LAMBDATA_SANDBOX ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
    dir,
    async close() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
