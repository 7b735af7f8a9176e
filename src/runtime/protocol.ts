/**
 * Messages between the engine and a Node execution environment, as frames on a private socket
 * (the child's fd 3; see frames.ts). Kept tiny: the warm path is one `invoke` down and one `result`
 * or `error` up. Payloads (`p`) are raw JSON bytes that travel beside the header, never re-encoded.
 */
import type { FunctionErrorShape, RunRequest } from './types.js';

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
  /**
   * Start by (queued invocations only, see pipeline.ts): the monotonicMs() after which the bootstrap
   * must not start it. It judges that only once every frame it sent before (the result of the run
   * ahead, say) is in the engine's socket, and drops a late one with `cancelled`. So the engine,
   * having read its socket to the end at a time past `sb` without that result, knows the run never
   * starts and runs it elsewhere — without a word from a bootstrap whose event loop is blocked.
   */
  sb?: number;
}

export type ParentMessage = InitMessage | InvokeMessage;

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
  /** Set when the run went over its memory: the bootstrap starts none of its queued runs (the engine ends it). */
  h?: 1;
}

/** An uncaught exception or unhandled rejection; the environment exits right after. */
export interface FatalMessage {
  t: 'fatal';
  e: FunctionErrorShape;
}

/** A queued invocation was dropped, never started: its start-by time had passed (see InvokeMessage.sb). */
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

const EMPTY_EVENT = Buffer.from('{}');

/** The invoke frame of `request` (`startBy` for a queued one, see InvokeMessage.sb). */
export function invokeMessage(request: RunRequest, timeoutS: number, startBy?: number): InvokeMessage {
  return {
    t: 'invoke',
    id: request.requestId,
    p: request.payload.length === 0 ? EMPTY_EVENT : request.payload,
    arn: request.invokedFunctionArn,
    ms: timeoutS * 1000,
    cc: request.clientContext,
    sb: startBy,
  };
}

/** The file descriptor of the private socket in the environment process. */
export const CHANNEL_FD = 3;

/**
 * The clock of start-by times: CLOCK_MONOTONIC in ms, the same in every process of the host (the
 * sandbox makes no time namespace), and never stepped.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
