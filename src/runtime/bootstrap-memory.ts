/**
 * Peak memory of this environment, measured inside it. getrusage's maxRSS is wrong here: Linux
 * keeps it across execve, so a child forked from a large engine process starts with the engine's
 * high-water mark. VmHWM belongs to the address space, which exec replaces, so it is the process's own.
 */
import { openSync, readSync } from 'node:fs';

const buffer = Buffer.alloc(4096);
let statusFd: number | undefined;

/** Peak resident set of this process in kB, or -1 when /proc is not there (the parent reads it then). */
export function peakRssKb(): number {
  try {
    statusFd ??= openSync('/proc/self/status', 'r');
    const length = readSync(statusFd, buffer, 0, buffer.length, 0);
    const text = buffer.toString('latin1', 0, length);
    const at = text.indexOf('VmHWM:');
    return at < 0 ? -1 : Number.parseInt(text.slice(at + 6).trimStart(), 10);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw err;
  }
}
