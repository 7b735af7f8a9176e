/**
 * Messages between the engine and a Node execution environment, as frames on a private socket
 * (the child's fd 3; see frames.ts). Kept tiny: the warm path is one `invoke` down and one `result`
 * or `error` up. Payloads (`p`) are raw JSON bytes that travel beside the header, never re-encoded.
 */
import type { FunctionErrorShape } from './types.js';

/**
 * The largest frame the engine accepts from an environment: a 6 MB response plus headroom. A
 * longer one (or a malformed one) is a broken environment: it is killed, its run fails.
 */
export const MAX_CHILD_FRAME_BYTES = 16 * 1024 * 1024;
/** The largest response a function may return, as AWS's runtimes check it inside the environment. */
export const MAX_RESPONSE_BYTES = 6_291_556;
/** Log lines are cut to this many UTF-16 units (≤ 3 MiB of UTF-8), so a log frame stays under the limit. */
export const MAX_LOG_CHARS = 1024 * 1024;

/** Everything a blank runtime needs to become one function's environment. */
export interface InitMessage {
  t: 'init';
  codeDir: string;
  handler: string;
  env: Record<string, string>;
  tmpDir: string;
  tmpLimitBytes: number;
  functionName: string;
  functionVersion: string;
  memoryMb: number;
  /** The request id of the cold start this init serves: its init-phase log lines carry it. */
  id: string;
  /** In a namespace sandbox: the function's user and group, and its code dir to link at /var/task. */
  sandbox?: { uid: number; gid: number; taskTarget: string };
}

/** One invocation; `p` is the event as JSON bytes (never empty: the engine sends `{}` for none). */
export interface InvokeMessage {
  t: 'invoke';
  id: string;
  p: Buffer;
  arn: string;
  ms: number; // timeout; the deadline starts when the invocation does
  cc?: string; // client context, base64 JSON
}

/**
 * Takes back a queued invocation that has not started (its predecessor runs long); the bootstrap
 * answers `cancelled` when it dropped it, nothing when it had started it already.
 */
export interface CancelMessage {
  t: 'cancel';
  id: string;
}

export type ParentMessage = InitMessage | InvokeMessage | CancelMessage;

/** The blank runtime has loaded the bootstrap and waits for `init`. */
export interface ReadyMessage {
  t: 'ready';
}

/** Init finished; `ms` is the Init Duration, `error` set when the module or handler failed to load. */
export interface InitDoneMessage {
  t: 'inited';
  ms: number;
  error?: FunctionErrorShape;
}

/** One log line, already formatted `<iso>\t<requestId>\t<LEVEL>\t<message>`. */
export interface LogMessage {
  t: 'log';
  l: string;
}

/** The handler finished. `p` is the JSON bytes of the result (outcome success), absent with `e`. */
export interface ResultMessage {
  t: 'result';
  p?: Buffer;
  e?: FunctionErrorShape;
  /** 'handled' for a function error, 'unhandled' for a runtime-side failure (bad response). */
  k?: 'handled' | 'unhandled';
  ms: number; // handler duration
  rss: number; // peak RSS so far, kB (VmHWM), or -1 when the engine must read it
}

/** An uncaught exception or unhandled rejection; the environment exits right after. */
export interface FatalMessage {
  t: 'fatal';
  e: FunctionErrorShape;
}

/** A queued invocation was dropped before it started, as asked (see CancelMessage). */
export interface CancelledMessage {
  t: 'cancelled';
  id: string;
}

export type ChildMessage =
  | ReadyMessage
  | InitDoneMessage
  | LogMessage
  | ResultMessage
  | FatalMessage
  | CancelledMessage;

/** A message as its frame header: everything but the payload `p`, which travels as the body. */
export type Header<M> = M extends unknown ? Omit<M, 'p'> : never;

/** The file descriptor of the private socket in the environment process. */
export const CHANNEL_FD = 3;
