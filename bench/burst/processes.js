// The processes around the burst benchmark (run.js), each in a session of its own so that where the
// scheduler puts it is chosen here: the sampler, the floor (a bare node:http server), and the readers
// of a thread's scheduling figures.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { listeningUrl } from '../invoke/serve-process.js';

/** Processes started in sessions of their own, ended by run.js if it is interrupted (Ctrl-C reaches only it). */
export const detached = new Set();

/** A bare node:http server in a session of its own (bench/invoke/bare-server.mjs): the floor. */
export async function startBareServer(nice) {
  const child = spawn(process.execPath, [join(import.meta.dirname, '../invoke/bare-server.mjs')], {
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  detached.add(child);
  raiseAutogroup(child.pid, nice);
  const url = await listeningUrl(child);
  return {
    url,
    pid: child.pid,
    stop: () => {
      child.kill('SIGTERM');
      return new Promise((done) => (child.exitCode === null ? child.once('exit', done) : done()));
    },
  };
}

/**
 * Sets the nice of a process's autogroup, the scheduling group of its session (Linux, and only where
 * this process may: root or CAP_SYS_NICE). Returns a `restore()` of the old value, or undefined where
 * it could not.
 */
export function raiseAutogroup(pid, nice) {
  const file = `/proc/${pid}/autogroup`;
  try {
    const before = /nice (-?\d+)/.exec(readFileSync(file, 'latin1'))?.[1];
    writeFileSync(file, String(nice));
    return { restore: () => writeFileSync(file, before ?? '0') };
  } catch {
    return undefined; // no autogroups in this kernel, or not allowed
  }
}

/** A thread's CPU time and time spent runnable but waiting for a CPU, in ms (Linux schedstat); undefined elsewhere. */
export function schedstat(pid) {
  try {
    const [runNs, waitNs] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'latin1').split(' ').map(Number);
    return { runMs: runNs / 1e6, waitMs: waitNs / 1e6 };
  } catch {
    return undefined; // no /proc, or no schedstats in this kernel
  }
}

/** What a thread ran and waited between two schedstat readings. */
export function schedDiff(now, before) {
  return now && before ? { runMs: now.runMs - before.runMs, waitMs: now.waitMs - before.waitMs } : undefined;
}

/** sampler.mjs in its own process, timing GETs of `targets` while on; `stop()` returns its samples. */
export async function startSampler(targets, nice) {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'sampler.mjs'), JSON.stringify(targets)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
  });
  detached.add(child);
  raiseAutogroup(child.pid, nice);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the sampler exited (${code}) before reporting`))),
  );
  exited.catch(() => undefined);
  const nextLine = async () => {
    const line = await Promise.race([lines.next(), exited]);
    if (line.done) throw new Error('the sampler closed its output before reporting');
    return line.value;
  };
  await nextLine(); // ready
  return {
    /** "start" returns at once; "pause" once the requests in flight answered. */
    async send(command) {
      child.stdin.write(`${command}\n`);
      if (command === 'pause') await nextLine();
    },
    async stop() {
      child.stdin.end('stop\n');
      return JSON.parse(await nextLine());
    },
  };
}
