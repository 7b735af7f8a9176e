import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** How late the server's event loop ran its timers, in milliseconds, since it started listening. */
export interface EventLoopDelay {
  p50: number;
  p99: number;
  max: number;
}

/** The histogram's sampling timer, in ms: finer would cost the loop more than it measures. */
const RESOLUTION_MS = 10;

let histogram: IntervalHistogram | undefined;
let users = 0;

/**
 * Starts measuring this process's event-loop delay (one histogram per process, however many
 * servers it runs); the returned function stops it when the last server closes.
 */
export function watchEventLoop(): () => void {
  users += 1;
  if (!histogram) {
    histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    histogram.enable();
  }
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    users -= 1;
    if (users === 0) {
      histogram?.disable();
      histogram = undefined;
    }
  };
}

/** The delay so far (zeros before any server listens); the histogram's own timer period is subtracted. */
export function eventLoopDelay(): EventLoopDelay {
  if (!histogram || histogram.count === 0) return { p50: 0, p99: 0, max: 0 };
  const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10);
  return { p50: ms(histogram.percentile(50)), p99: ms(histogram.percentile(99)), max: ms(histogram.max) };
}
