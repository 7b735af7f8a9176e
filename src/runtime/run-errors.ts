/** The AWS error shapes of a run that ended without its handler's answer: timeout, OOM, a crash. */
import type { FunctionErrorShape } from './types.js';

/** AWS's message for a timeout: `Task timed out after 3.00 seconds`. */
export function timedOut(timeoutS: number): FunctionErrorShape {
  return { errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${timeoutS.toFixed(2)} seconds` };
}

/** A run killed for going past its memory size. */
export function outOfMemory(requestId: string): FunctionErrorShape {
  return {
    errorType: 'Runtime.OutOfMemory',
    errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`,
  };
}

/** A runtime process that exited or was killed mid-run: `exit status 3`, `signal: killed`. */
export function exitError(requestId: string, code: number | null, signal: NodeJS.Signals | null): FunctionErrorShape {
  const how = signal ? `signal: ${SIGNAL_WORDS[signal] ?? signal}` : `exit status ${code ?? 0}`;
  return {
    errorType: 'Runtime.ExitError',
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
    errorType: 'Runtime.ExitError',
    errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: invalid message on the runtime channel (${why})`,
  };
}
