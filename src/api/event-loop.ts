import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** How late the server's event loop ran its timers over the last window, in milliseconds. */
export interface EventLoopDelay {
  p50: number;
  p99: number;
  max: number;
  /** The window's length: the figures cover the last full window (the current one before the first ends). */
  windowMs: number;
  /** Which window: 1 for the first full one, counting up; 0 while the first is still running. */
  window: number;
}

/** The histogram's sampling timer, in ms: finer would cost the loop more than it measures. */
const RESOLUTION_MS = 10;
/** Figures are kept per window, so a stall at start-up (or an hour ago) does not hide today's. */
const WINDOW_MS = 10_000;

let histogram: IntervalHistogram | undefined;
let rotation: NodeJS.Timeout | undefined;
let lastWindow: EventLoopDelay | undefined;
let windows = 0;
let users = 0;

/**
 * Starts measuring this process's event-loop delay (one histogram per process, however many
 * servers it runs); the returned function stops it when the last server closes.
 */
export function watchEventLoop(): () => void {
  users += 1;
  if (!histogram) {
    const watched = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    watched.enable();
    histogram = watched;
    rotation = setInterval(() => {
      windows += 1;
      lastWindow = figures(watched, windows);
      watched.reset();
    }, WINDOW_MS).unref();
  }
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    users -= 1;
    if (users > 0) return;
    clearInterval(rotation);
    histogram?.disable();
    histogram = undefined;
    lastWindow = undefined;
    windows = 0;
  };
}

/** The delay over the last full window (the current one before it ends; zeros before any server listens). */
export function eventLoopDelay(): EventLoopDelay {
  if (lastWindow) return lastWindow;
  return histogram ? figures(histogram, 0) : { p50: 0, p99: 0, max: 0, windowMs: WINDOW_MS, window: 0 };
}

/** The histogram records whole timer periods: its own period is taken off each figure. */
function figures(watched: IntervalHistogram, window: number): EventLoopDelay {
  if (watched.count === 0) return { p50: 0, p99: 0, max: 0, windowMs: WINDOW_MS, window };
  const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10);
  return {
    p50: ms(watched.percentile(50)),
    p99: ms(watched.percentile(99)),
    max: ms(watched.max),
    windowMs: WINDOW_MS,
    window,
  };
}
