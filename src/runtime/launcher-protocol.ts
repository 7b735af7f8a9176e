/**
 * Messages between the engine and its launcher (launcher.ts), over the launcher's private IPC
 * channel: the engine asks for a process, the launcher answers with its PID, hands over the
 * process's stdout, stderr and (for the Node bootstrap) fd 3 as sockets, and reports its exit.
 */

/** Engine → launcher: start one environment's process. */
export interface LaunchRequest {
  t: 'spawn';
  id: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Give the process a socket on fd 3 (the Node bootstrap's frame channel). */
  channel: boolean;
  /** Niceness to set on the process right after it starts (the process level: a sandbox runs `nice` itself). */
  niceness?: number;
  /**
   * Niceness of the session the process leads (it starts detached): where the kernel groups sessions
   * (autogroups), a niceness weighs only within its session, so the session is niced too, at every level.
   */
  sessionNiceness?: number;
}

/** Launcher → engine. A `stdio` message carries the socket of fd `fd` as its handle. */
export type LaunchReport =
  | { t: 'spawned'; id: string; pid: number }
  | { t: 'stdio'; id: string; fd: 1 | 2 | 3 }
  | { t: 'failed'; id: string; code: string; message: string }
  | { t: 'exit'; id: string; code: number | null; signal: string | null };
