/**
 * The launcher: a small process the engine starts once (launcher-client.ts) and asks to start every
 * execution environment. Starting a process from Node means fork(): its cost grows with the size of
 * the forking process, and it blocks that process's event loop until the child has exec'd. Done by
 * the ~200 MB engine, a burst of cold starts stalled the HTTP API and timers for seconds; done here,
 * it costs a process of a few tens of MB, and only this one waits.
 *
 * The channel is the IPC socket the engine gave it at start (fd 3, inherited by no one else): no
 * path or port a function could reach. It runs with the engine's privileges (root, to build
 * namespaces), starts each process in its own process group, hands the process's stdout, stderr and
 * fd 3 to the engine as sockets, and reports its exit. It exits when the engine goes away; its
 * children carry a parent-death signal (setpriv --pdeathsig), so they go with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { setPriority } from 'node:os';
import type { LaunchReport, LaunchRequest } from './launcher-protocol.js';

type Report = (report: LaunchReport, handle?: Socket) => void;

const report: Report = (message, handle) => {
  // A failed send (EPIPE: the engine went away mid-report) comes to the callback instead of being
  // thrown as an unhandled 'error'; the channel's 'disconnect' then ends this process.
  if (process.connected) process.send?.(message, handle, undefined, () => undefined);
};

// Started by a server that raised its own priority: come back down to where it started (argv[2]),
// so environments are niced relative to that, never above it.
if (process.argv[2] !== undefined) setPriority(Number(process.argv[2]));

process.on('message', (request: LaunchRequest) => {
  if (request?.t === 'spawn') launch(request);
});
// The engine is gone (exited or killed): so is the reason to exist.
process.on('disconnect', () => process.exit(0));
// And in case 'disconnect' never comes: fresh-clone CI runs left launchers whose IPC channel was
// closed, parent was init and environments were still alive, minutes after their engine died.
const ENGINE_PID = process.ppid;
if (ENGINE_PID === 1) process.exit(0); // the engine died before this process got here
setInterval(() => {
  if (process.ppid !== ENGINE_PID) process.exit(0);
}, 1000).unref();

function launch(request: LaunchRequest): void {
  let child: ChildProcess;
  try {
    child = spawn(request.command, request.args, {
      cwd: request.cwd,
      env: request.env,
      stdio: ['ignore', 'pipe', 'pipe', ...(request.channel ? (['pipe'] as const) : [])],
      detached: true, // its own process group, so the engine's kill takes the function's children too
    });
  } catch (err) {
    fail(request.id, err);
    return;
  }
  const pid = child.pid;
  if (pid === undefined) {
    child.once('error', (err) => fail(request.id, err));
    return;
  }
  if (request.niceness !== undefined) lowerPriority(pid, request.niceness);
  if (request.sessionNiceness !== undefined) lowerSession(pid, request.sessionNiceness);
  const sockets = [child.stdout, child.stderr, request.channel ? child.stdio[3] : null] as (Socket | null)[];
  // Not one byte may be read here: the engine reads these from now on.
  for (const socket of sockets) if (socket) stopReading(socket);
  report({ t: 'spawned', id: request.id, pid });
  sockets.forEach((socket, at) => {
    if (socket) report({ t: 'stdio', id: request.id, fd: (at + 1) as 1 | 2 | 3 }, socket);
  });
  child.once('exit', (code, signal) => report({ t: 'exit', id: request.id, code, signal }));
}

/**
 * Node starts reading a child's pipe as soon as it makes the stream; a handle sent over IPC is closed
 * here only once the engine acknowledged it. In between, this process must not consume the bytes
 * (the child's first error lines, or a frame of its channel), so reading stops at once.
 */
function stopReading(socket: Socket): void {
  const handle = (socket as unknown as { _handle?: { readStop?: () => number; reading?: boolean } })._handle;
  if (handle?.readStop) {
    handle.reading = false;
    handle.readStop();
  }
  socket.pause();
}

function lowerPriority(pid: number, niceness: number): void {
  try {
    setPriority(pid, niceness);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // gone already: its exit is reported
  }
}

/**
 * A detached process leads a session of its own, and where the kernel groups sessions (autogroups,
 * on by default on desktops and most VMs) a niceness weighs only against the threads of its own
 * session: each session weighs one nice-0 thread against the engine's, so without this every
 * environment outweighed the niced server. Its session goes to the same niceness.
 */
const SESSION_NICE_REFUSALS = new Set(['ENOENT', 'ESRCH', 'EPERM', 'EACCES', 'EAGAIN']);

function lowerSession(pid: number, niceness: number): void {
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(niceness));
  } catch (err) {
    // No autogroups in this kernel (ENOENT), gone already, not allowed, or (without CAP_SYS_ADMIN) a
    // second change within 100 ms (EAGAIN: the kernel rate-limits it): its own niceness still holds.
    const code = (err as NodeJS.ErrnoException).code;
    if (!SESSION_NICE_REFUSALS.has(code ?? '')) throw err;
  }
}

function fail(id: string, err: unknown): void {
  const error = err as NodeJS.ErrnoException;
  report({ t: 'failed', id, code: error.code ?? 'UNKNOWN', message: error.message });
}
