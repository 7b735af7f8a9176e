/**
 * Loading and calling a Lambda handler (child process side), with the Node.js runtime's rules:
 * async/promise handlers, callback(err, result) with callbackWaitsForEmptyEventLoop, and the legacy
 * context.succeed/fail/done.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InitError, RUN_ERRORS } from './run-errors.js';
import type { FunctionErrorShape } from './types.js';

/** A loaded handler function. */
export type Handler = (event: unknown, context: object, callback: (err?: unknown, result?: unknown) => void) => unknown;

const EXTENSIONS = ['.js', '.mjs', '.cjs'];

/**
 * Imports `path/file.export` relative to `codeDir`. Throws InitError with Runtime.MalformedHandlerName,
 * Runtime.ImportModuleError, Runtime.UserCodeSyntaxError, Runtime.HandlerNotFound, or the error
 * thrown by the module's top-level code.
 */
export async function loadHandler(codeDir: string, handler: string): Promise<Handler> {
  const dot = handler.lastIndexOf('.');
  const slash = handler.lastIndexOf('/');
  if (dot <= slash + 1 || dot === handler.length - 1) {
    throw new InitError({ errorType: RUN_ERRORS.MalformedHandlerName, errorMessage: `Bad handler ${handler}` });
  }
  const modulePath = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const file = EXTENSIONS.map((ext) => join(codeDir, modulePath + ext)).find((path) => existsSync(path));
  if (!file) {
    throw new InitError({
      errorType: RUN_ERRORS.ImportModuleError,
      errorMessage: `Error: Cannot find module '${modulePath}'\nRequire stack:\n- ${codeDir}`,
    });
  }
  let mod: Record<string, unknown>;
  try {
    mod = await import(pathToFileURL(file).href);
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw new InitError({
        errorType: RUN_ERRORS.UserCodeSyntaxError,
        errorMessage: `${err.name}: ${err.message}`,
        stackTrace: stackOf(err),
      });
    }
    if (isCode(err, 'ERR_MODULE_NOT_FOUND') || isCode(err, 'MODULE_NOT_FOUND')) {
      throw new InitError({
        errorType: RUN_ERRORS.ImportModuleError,
        errorMessage: `Error: ${(err as Error).message}`,
        stackTrace: stackOf(err),
      });
    }
    throw new InitError(toErrorShape(err));
  }
  const fn = mod[exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[exportName];
  if (typeof fn !== 'function') {
    throw new InitError({
      errorType: RUN_ERRORS.HandlerNotFound,
      errorMessage: `${modulePath}.${exportName} is undefined or not exported`,
    });
  }
  return fn as Handler;
}

/** The engine channel, which keeps the event loop alive except while a handler waits for it to empty. */
export interface KeepAlive {
  ref(): void;
  unref(): void;
}

/** How a handler finished: an error or a result, and whether to wait for the event loop to drain. */
export type Completion = (err: unknown, result: unknown) => void;

/**
 * Calls the handler and reports completion exactly once. Callback-style completions with
 * `callbackWaitsForEmptyEventLoop` (the default) are reported once the event loop is empty, as on
 * AWS; so is a synchronous handler that never calls back (its result is null).
 */
export function callHandler(
  handler: Handler,
  event: unknown,
  context: LambdaContext,
  channel: KeepAlive,
  complete: Completion,
): void {
  let finished = false;
  let waiting = false;
  let outcome: [unknown, unknown] = [null, null];
  const send = () => {
    waiting = false;
    complete(outcome[0], outcome[1]);
  };
  const onEmpty = () => {
    channel.ref();
    finished = true;
    send();
  };
  const finish = (err: unknown, result: unknown, waitForEmpty: boolean) => {
    if (finished) return;
    finished = true;
    outcome = [err, result];
    if (waitForEmpty) {
      if (!waiting) whenEventLoopEmpty(channel, onEmpty);
      waiting = true;
      return;
    }
    if (waiting) {
      process.removeListener('beforeExit', onEmpty);
      channel.ref();
    }
    send();
  };
  const failWith = (err: unknown) => (err === undefined || err === null ? 'handled' : err);
  context.done = (err?: unknown, result?: unknown) => finish(err ?? null, result, false);
  context.succeed = (result?: unknown) => finish(null, result, false);
  context.fail = (err?: unknown) => finish(failWith(err), undefined, false);
  const callback = (err?: unknown, result?: unknown) =>
    finish(err ?? null, result, context.callbackWaitsForEmptyEventLoop);
  let returned: unknown;
  try {
    returned = handler(event, context, callback);
  } catch (err) {
    finish(failWith(err), undefined, false);
    return;
  }
  if (
    returned !== null &&
    typeof returned === 'object' &&
    typeof (returned as PromiseLike<unknown>).then === 'function'
  ) {
    (returned as PromiseLike<unknown>).then(
      (result) => finish(null, result, false),
      (err) => finish(failWith(err), undefined, false),
    );
  } else if (!finished && !waiting) {
    waiting = true;
    whenEventLoopEmpty(channel, onEmpty);
  }
}

/** The Lambda context object. */
export interface LambdaContext {
  callbackWaitsForEmptyEventLoop: boolean;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  clientContext?: unknown;
  getRemainingTimeInMillis(): number;
  done?: (err?: unknown, result?: unknown) => void;
  succeed?: (result?: unknown) => void;
  fail?: (err?: unknown) => void;
}

/** Converts anything thrown or passed to a callback into AWS's {errorType, errorMessage, stackTrace}. */
export function toErrorShape(err: unknown): FunctionErrorShape {
  if (err instanceof Error) {
    return { errorType: clip(err.name || 'Error'), errorMessage: clip(err.message), stackTrace: stackOf(err) };
  }
  if (typeof err === 'string') return { errorType: 'string', errorMessage: clip(err) };
  let message: string;
  try {
    message = JSON.stringify(err) ?? String(err);
  } catch {
    message = String(err); // a circular object: its string form is all we can send
  }
  return { errorType: typeof err, errorMessage: clip(message) };
}

/** Error text is cut short enough that the error's frame stays under the engine's frame limit. */
const MAX_ERROR_CHARS = 64 * 1024;
const MAX_STACK_LINES = 50;

function clip(text: string): string {
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}… (truncated)` : text;
}

function stackOf(err: unknown): string[] {
  const stack = (err as Error).stack;
  return typeof stack === 'string' ? stack.split('\n', MAX_STACK_LINES).map(clip) : [];
}

function isCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === code;
}

// The engine channel is unref'd so `beforeExit` fires when nothing else is pending; `onEmpty` refs it again.
function whenEventLoopEmpty(channel: KeepAlive, onEmpty: () => void): void {
  channel.unref();
  process.once('beforeExit', onEmpty);
}
