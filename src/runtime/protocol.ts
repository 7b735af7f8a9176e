/**
 * Messages between the engine and a Node execution environment over the private IPC channel
 * (`serialization: 'advanced'`, so payload strings cross without JSON re-encoding). Kept tiny:
 * the warm path is one `invoke` down and one `result` or `error` up.
 */
import type { FunctionErrorShape } from './types.js';

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
}

/** One invocation; `p` is the event as JSON text. */
export interface InvokeMessage {
  t: 'invoke';
  id: string;
  p: string;
  arn: string;
  ms: number; // timeout; the deadline starts when the invocation does
  cc?: string; // client context, base64 JSON
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

/** The handler finished. `p` is the JSON text of the result (outcome success) or absent with `e`. */
export interface ResultMessage {
  t: 'result';
  p?: string;
  e?: FunctionErrorShape;
  /** 'handled' for a function error, 'unhandled' for a runtime-side failure (bad response). */
  k?: 'handled' | 'unhandled';
  ms: number; // handler duration
  rss: number; // peak RSS so far, kB (getrusage ru_maxrss)
}

/** An uncaught exception or unhandled rejection; the environment exits right after. */
export interface FatalMessage {
  t: 'fatal';
  e: FunctionErrorShape;
}

export type ChildMessage = ReadyMessage | InitDoneMessage | LogMessage | ResultMessage | FatalMessage;
