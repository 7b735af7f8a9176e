/**
 * The runtime's errors: the AWS error types a run reports when it ends without its handler's answer
 * (timeout, OOM, a crash, a handler that cannot load), and the engine-side faults of environments.
 */
import { LambdataError } from '../shared/errors.js';
import type { FunctionErrorShape } from './types.js';

/** The `errorType`s AWS's runtimes report for a run (Sandbox.*, Runtime.*, Function.*). */
export const RUN_ERRORS = {
  Timedout: 'Sandbox.Timedout',
  OutOfMemory: 'Runtime.OutOfMemory',
  ExitError: 'Runtime.ExitError',
  Unknown: 'Runtime.Unknown',
  InvalidEntrypoint: 'Runtime.InvalidEntrypoint',
  MalformedHandlerName: 'Runtime.MalformedHandlerName',
  ImportModuleError: 'Runtime.ImportModuleError',
  UserCodeSyntaxError: 'Runtime.UserCodeSyntaxError',
  HandlerNotFound: 'Runtime.HandlerNotFound',
  UnhandledPromiseRejection: 'Runtime.UnhandledPromiseRejection',
  InvalidEventPayload: 'Runtime.InvalidEventPayload',
  MalformedHandlerResponse: 'Runtime.MalformedHandlerResponse',
  ResponseSizeTooLarge: 'Function.ResponseSizeTooLarge',
} as const;

/** Code of FrameError. */
export const INVALID_FRAME = 'InvalidFrame';

/** The peer broke the framing: a length out of bounds, or a header that is not a JSON object. */
export class FrameError extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super(INVALID_FRAME, message, 502, options);
  }
}

/** The environment pool is closed (the engine is stopping). */
export class RuntimeClosed extends LambdataError {
  constructor() {
    super('ServiceException', 'the runtime is closed', 503);
  }
}

/** The sandbox template an environment starts from could not be built. */
export class SandboxFailed extends LambdataError {
  constructor(message: string) {
    super('ServiceException', message);
  }
}

/** A failure while loading the handler (child process side), in AWS's shape: `code` is its errorType. */
export class InitError extends LambdataError {
  constructor(readonly shape: FunctionErrorShape) {
    super(shape.errorType, shape.errorMessage);
  }
}

/** AWS's message for a timeout: `Task timed out after 3.00 seconds`. */
export function timedOut(timeoutS: number): FunctionErrorShape {
  return { errorType: RUN_ERRORS.Timedout, errorMessage: `Task timed out after ${timeoutS.toFixed(2)} seconds` };
}

/** A run killed for going past its memory size. */
export function outOfMemory(requestId: string): FunctionErrorShape {
  return {
    errorType: RUN_ERRORS.OutOfMemory,
    errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`,
  };
}

/**
 * A runtime process that exited or was killed during init or mid-run, in AWS's words: `exit
 * status 3`, `signal: killed`, or no reason at all for a clean exit (status 0).
 */
export function exitError(requestId: string, code: number | null, signal: NodeJS.Signals | null): FunctionErrorShape {
  if (!signal && !code) {
    return {
      errorType: RUN_ERRORS.ExitError,
      errorMessage: `RequestId: ${requestId} Error: Runtime exited without providing a reason`,
    };
  }
  const how = signal ? `signal: ${SIGNAL_WORDS[signal] ?? signal}` : `exit status ${code}`;
  return {
    errorType: RUN_ERRORS.ExitError,
    errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${how}`,
  };
}

const SIGNAL_WORDS: Partial<Record<NodeJS.Signals, string>> = {
  SIGKILL: 'killed',
  SIGSEGV: 'segmentation fault',
  SIGABRT: 'aborted',
  SIGTERM: 'terminated',
};

/** A run whose environment broke its frame channel: reported like a crash of the runtime. */
export function channelBroken(requestId: string, why: string): FunctionErrorShape {
  return {
    errorType: RUN_ERRORS.ExitError,
    errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: invalid message on the runtime channel (${why})`,
  };
}
