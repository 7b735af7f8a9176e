/**
 * Peak memory of this environment, measured inside it. getrusage's maxRSS is wrong here: Linux
 * keeps it across execve, so a child forked from a large engine process starts with the engine's
 * high-water mark. VmHWM belongs to the address space, which exec replaces, so it is the process's own.
 *
 * Reading /proc/self/status costs ~15 µs, a large share of a no-op invocation, so the last reading
 * is reused while the process has taken no page fault since: resident memory only grows by
 * faulting pages in, so with no new fault the peak cannot have moved. Most warm invocations of a
 * small handler fault no page; any that does gets a fresh reading.
 */
import { openSync, readSync } from 'node:fs';

const buffer = Buffer.alloc(4096);
let statusFd: number | undefined;
let lastPeakKb = -1;
let faultsAtReading = -1;

/** Peak resident set of this process in kB, or -1 when /proc is not there (the parent reads it then). */
export function peakRssKb(): number {
  const usage = process.resourceUsage();
  const faults = usage.minorPageFault + usage.majorPageFault;
  if (faults === faultsAtReading && lastPeakKb >= 0) return lastPeakKb;
  faultsAtReading = faults;
  lastPeakKb = readPeakKb();
  return lastPeakKb;
}

function readPeakKb(): number {
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
