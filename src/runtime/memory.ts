/**
 * Memory readings of environment processes from /proc (Linux): the sampler's cheap current RSS and
 * the peak RSS AWS reports as Max Memory Used.
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

/** Bytes per page, derived once from this process's own statm and RSS. */
const PAGE_KB = pageKb();

/**
 * Reads a process's current resident set (VmRSS) in kB through a descriptor kept open on
 * /proc/<pid>/statm, so a sample costs one pread. Returns 0 once the process is gone.
 */
export class ResidentMeter {
  #pid: () => number | undefined;
  #fd: number | undefined;
  #buffer = Buffer.alloc(128);

  /** `pid` is asked on first use: a sandboxed runtime's PID is known only once it runs. */
  constructor(pid: () => number | undefined) {
    this.#pid = pid;
  }

  kb(): number {
    try {
      if (this.#fd === undefined) {
        const pid = this.#pid();
        if (pid === undefined) return 0;
        this.#fd = openSync(`/proc/${pid}/statm`, 'r');
      }
      const length = readSync(this.#fd, this.#buffer, 0, this.#buffer.length, 0);
      const text = this.#buffer.toString('latin1', 0, length);
      const second = text.indexOf(' ') + 1;
      return Number.parseInt(text.slice(second, text.indexOf(' ', second)), 10) * PAGE_KB;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ESRCH') return 0;
      throw err;
    }
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** Peak resident set of a process in kB (VmHWM, what AWS reports as Max Memory Used); 0 when gone. */
export function peakKb(pid: number | undefined): number {
  const match = /VmHWM:\s+(\d+)/.exec(readProc(pid, 'status'));
  return match ? Number(match[1]) : 0;
}

function readProc(pid: number | undefined, file: 'status'): string {
  if (pid === undefined) return '';
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return '';
    throw err;
  }
}

function pageKb(): number {
  try {
    const pages = Number(readFileSync('/proc/self/statm', 'latin1').split(' ')[1]);
    const kb = process.memoryUsage.rss() / 1024 / pages;
    return 2 ** Math.round(Math.log2(kb)); // 4 on most Linux, 16 or 64 on some arm64 kernels
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 4; // no /proc: readings are 0 anyway
    throw err;
  }
}
