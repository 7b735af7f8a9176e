/**
 * Entry point of a Node execution environment (runs in the child process, compiled to
 * dist/runtime/bootstrap.js). Started blank and handed a function by an `init` message, or started
 * for one function when it needs its own Node options. Then serves `invoke` messages one at a time.
 * Messages are frames (frames.ts) on the socket the engine passes as fd 3.
 *
 * The engine may send an invoke while one runs (a fast function's runs, pipelined: see
 * pipeline.ts): it waits here and starts right after the running one's result is sent, so the
 * handler still runs one invocation at a time and a busy process takes several frames per wake-up.
 */
import { symlinkSync } from 'node:fs';
import { Module } from 'node:module';
import { Socket } from 'node:net';
import { callHandler, type Handler, type LambdaContext, loadHandler, toErrorShape } from './bootstrap-handler.js';
import { captureLogs } from './bootstrap-logs.js';
import { peakRssKb } from './bootstrap-memory.js';
import { isolateTmp } from './bootstrap-tmp.js';
import { encodeFrame, FrameReader } from './frames.js';
import {
  CHANNEL_FD,
  type ChildMessage,
  type Header,
  type InitMessage,
  type InvokeMessage,
  MAX_RESPONSE_BYTES,
  type ParentMessage,
  type ResultMessage,
} from './protocol.js';
import { InitError, RUN_ERRORS } from './run-errors.js';
import type { FunctionErrorShape } from './types.js';

// The engine's end of the private socket; when it goes away, so does this environment.
const channel = new Socket({ fd: CHANNEL_FD, readable: true, writable: true });
const reader = new FrameReader<ParentMessage>((message) => {
  if (message.t === 'init') initialized = init(message);
  else if (message.t === 'cancel') cancel(message.id);
  else if (handler) accept(message);
  else void initialized?.then((ok) => ok && accept(message));
});
channel.on('data', (chunk: Buffer) => reader.push(chunk));
channel.on('end', () => process.exit(0));
channel.on('error', () => process.exit(0)); // the engine is gone mid-write

/**
 * Sends one message; a result's JSON text travels as the frame body. Written at once, never held
 * back to batch: the next queued run starts right after a result, and a run that ends the process
 * (process.exit) must not take its predecessor's result or its own log lines with it.
 */
const send = (message: Header<ChildMessage>, body?: string, callback?: () => void) => {
  if (channel.writable) channel.write(encodeFrame(message, body), callback);
};
const logs = captureLogs((line) => send({ t: 'log', l: line }));

const pointTmpAt = isolateTmp();
let handler: Handler | undefined;
let fn: InitMessage | undefined;
let logStreamName = '';
/** Resolves true once the handler loaded; the first invoke arrives right behind init and waits here. */
let initialized: Promise<boolean> | undefined;
/** True from an invocation's start until its result is sent. */
let running = false;
/** Invocations the engine sent while one ran, in order. */
const queued: InvokeMessage[] = [];

process.on('uncaughtException', (err) => die(toErrorShape(err), 'Uncaught Exception'));
process.on('unhandledRejection', (reason) => {
  const shape = toErrorShape(reason);
  die(
    {
      errorType: RUN_ERRORS.UnhandledPromiseRejection,
      errorMessage: `${shape.errorType}: ${shape.errorMessage}`,
      stackTrace: shape.stackTrace,
    },
    'Unhandled Promise Rejection',
  );
});
send({ t: 'ready' });

async function init(message: InitMessage): Promise<boolean> {
  // A process started for this function counts its whole start as init; a pre-started one only the handoff.
  const started = process.argv.includes('--from-start') ? 0 : performance.now();
  fn = message;
  logs.requestId = message.id;
  logStreamName = message.env.AWS_LAMBDA_LOG_STREAM_NAME ?? '';
  if (message.sandbox) becomeFunctionUser(message.sandbox);
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, message.env);
  (Module as unknown as { _initPaths(): void })._initPaths(); // NODE_PATH changed
  // In a sandbox /tmp is already the environment's own tmpfs, sized by the kernel.
  if (!message.sandbox) pointTmpAt(message.tmpDir, message.tmpLimitBytes, message.codeDir);
  let error: FunctionErrorShape | undefined;
  try {
    process.chdir(message.codeDir); // fails when the function's user may not read its code
    handler = await loadHandler(message.codeDir, message.handler);
  } catch (err) {
    error = err instanceof InitError ? err.shape : toErrorShape(err);
    logs.emit('ERROR', `Uncaught Exception \t${JSON.stringify(error)}`);
  }
  logs.flush();
  send({ t: 'inited', ms: performance.now() - started, error });
  return error === undefined;
}

/**
 * A blank runtime starts as root inside its sandbox (see sandbox-script.ts): it links its function's
 * code at /var/task, then gives up root for good, before any of the function's code is loaded.
 */
function becomeFunctionUser(sandbox: NonNullable<InitMessage['sandbox']>): void {
  symlinkSync(sandbox.taskTarget, '/var/task');
  process.setgroups?.([]);
  process.setgid?.(sandbox.gid);
  process.setuid?.(sandbox.uid);
}

/** Runs an invocation now, or after the ones before it. */
function accept(message: InvokeMessage): void {
  if (running) queued.push(message);
  else invoke(message);
}

/** Drops a queued invocation that has not started, and says so; one already started runs on. */
function cancel(id: string): void {
  const at = queued.findIndex((message) => message.id === id);
  if (at < 0) return;
  queued.splice(at, 1);
  send({ t: 'cancelled', id });
}

/**
 * Sends a run's result, then starts the next queued one at once. Not when the run went past the
 * function's memory: the engine ends this environment for it and runs the queued ones elsewhere.
 */
function answer(header: Header<ResultMessage>, body?: string): void {
  running = false;
  send(header, body);
  const next = queued.shift();
  if (next === undefined) return;
  if (header.rss > (fn as InitMessage).memoryMb * 1024) {
    queued.unshift(next);
    return;
  }
  invoke(next);
}

function invoke(message: InvokeMessage): void {
  running = true;
  const started = performance.now();
  const deadline = Date.now() + message.ms;
  logs.requestId = message.id;
  const target = fn as InitMessage;
  const context: LambdaContext = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: target.functionName,
    functionVersion: target.functionVersion,
    invokedFunctionArn: message.arn,
    memoryLimitInMB: String(target.memoryMb),
    awsRequestId: message.id,
    logGroupName: `/aws/lambda/${target.functionName}`,
    logStreamName,
    clientContext: message.cc ? parseClientContext(message.cc) : undefined,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  let event: unknown;
  try {
    event = JSON.parse(message.p.toString('utf8'));
  } catch (err) {
    finish(started, { errorType: RUN_ERRORS.InvalidEventPayload, errorMessage: (err as Error).message }, 'unhandled');
    return;
  }
  callHandler(handler as Handler, event, context, channel, (err, result) => {
    if (err !== null && err !== undefined) {
      const shape = toErrorShape(err);
      logs.emit('ERROR', `Invoke Error \t${JSON.stringify(shape)}`);
      finish(started, shape, 'handled');
      return;
    }
    let json: string | undefined;
    try {
      json = JSON.stringify(result);
    } catch (cause) {
      finish(
        started,
        {
          errorType: RUN_ERRORS.MalformedHandlerResponse,
          errorMessage: `Unable to stringify response body: ${(cause as Error).message}`,
        },
        'unhandled',
      );
      return;
    }
    json ??= 'null';
    if (json.length * 3 > MAX_RESPONSE_BYTES && Buffer.byteLength(json) > MAX_RESPONSE_BYTES) {
      const size = Buffer.byteLength(json);
      finish(
        started,
        {
          errorType: RUN_ERRORS.ResponseSizeTooLarge,
          errorMessage: `Response payload size (${size} bytes) exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
        },
        'unhandled',
      );
      return;
    }
    logs.flush();
    answer({ t: 'result', ms: performance.now() - started, rss: peakRssKb() }, json);
  });
}

function finish(started: number, error: FunctionErrorShape, kind: 'handled' | 'unhandled'): void {
  logs.flush();
  answer({ t: 'result', e: error, k: kind, ms: performance.now() - started, rss: peakRssKb() });
}

function die(error: FunctionErrorShape, label: string): void {
  logs.emit('ERROR', `${label} \t${JSON.stringify(error)}`);
  logs.flush();
  send({ t: 'fatal', e: error }, undefined, () => process.exit(129));
  setTimeout(() => process.exit(129), 1000).unref();
}

function parseClientContext(base64: string): unknown {
  try {
    return JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch (err) {
    logs.emit('WARN', `ignoring malformed client context: ${(err as Error).message}`);
    return undefined;
  }
}
