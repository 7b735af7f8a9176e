// Starts `lambdata serve` (or any server script) as a separate process for the benchmarks, and reads
// the CPU time of a process tree from /proc (proc-cpu.js).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { here } from './stats.js';

export {
  mainThreadCpuMicros,
  mainThreadPreemptions,
  processCpuMicros,
  reapedCpuMicros,
  treeCpuMicros,
} from './proc-cpu.js';

const BIN = join(here, '../../bin/lambdata.js');
/** Servers started here, stopped if the benchmark itself is interrupted (Ctrl-C, kill). */
const started = new Set();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, async () => {
    await Promise.allSettled([...started].map((server) => server.stop()));
    process.exit(130);
  });
}

/**
 * `lambdata serve --port 0` on a fresh temp data dir; `nodeArgs` go to node (e.g. `--cpu-prof`),
 * `args` to serve (e.g. `--access-key`). Returns its url, pid and a `stop()` that ends it (SIGTERM,
 * so a CPU profile is written) and removes the dir.
 */
export async function startServe({ nodeArgs = [], args = [], env = {} } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-bench-serve-'));
  const child = spawn(process.execPath, [...nodeArgs, BIN, 'serve', '--port', '0', '--data-dir', dataDir, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: dataDir, LAMBDATA_LOG: 'error', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await listeningUrl(child);
  const server = {
    url,
    pid: child.pid,
    dataDir,
    async stop() {
      started.delete(server);
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  started.add(server);
  return server;
}

/** A bare node:http server (bare-server.mjs, or `script`) in its own process: the floor. */
export async function startBareServer(script = join(here, 'bare-server.mjs')) {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await listeningUrl(child);
  const server = {
    url,
    pid: child.pid,
    async stop() {
      started.delete(server);
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
    },
  };
  started.add(server);
  return server;
}

/** The url a server child prints as `listening on URL` on its stdout; rejects if it exits first. */
export function listeningUrl(child) {
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const match = /listening on (\S+)/.exec(line);
      if (match) resolve(match[1]);
    });
  });
}
