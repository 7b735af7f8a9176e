/**
 * Log capture inside an execution environment (child process side). console.* and raw writes to
 * process.stdout/stderr become AWS-format lines `<iso>\t<requestId>\t<LEVEL>\t<message>` sent to
 * the engine over IPC, so they stay in order with the result and never reach the engine's stderr.
 */
import { format } from 'node:util';
import { MAX_LOG_CHARS } from './protocol.js';

const LEVELS = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' } as const;

/** Tags captured lines with the current request and forwards them; `flush` ends a partial raw line. */
export interface LogCapture {
  requestId: string;
  /** Emits one line at a level (used by the runtime itself for Invoke Error lines). */
  emit(level: string, message: string): void;
  /** Sends any partial line written without a trailing newline. */
  flush(): void;
}

/**
 * Replaces console methods and process.stdout/stderr.write. AWS turns newlines inside one log call
 * into carriage returns so one call stays one line; we do the same.
 */
export function captureLogs(send: (line: string) => void): LogCapture {
  const capture: LogCapture = {
    requestId: 'undefined',
    emit(level, message) {
      const text = message.length > MAX_LOG_CHARS ? `${message.slice(0, MAX_LOG_CHARS)}… (truncated)` : message;
      send(`${new Date().toISOString()}\t${capture.requestId}\t${level}\t${text.replace(/\n/g, '\r')}`);
    },
    flush() {
      for (const stream of raw) stream.flush();
    },
  };
  const console_ = console as unknown as Record<string, (...args: unknown[]) => void>;
  for (const [method, level] of Object.entries(LEVELS)) {
    console_[method] = (...args: unknown[]) => capture.emit(level, format(...args));
  }
  const raw = [rawWriter(process.stdout, 'INFO', capture), rawWriter(process.stderr, 'ERROR', capture)];
  return capture;
}

function rawWriter(stream: NodeJS.WriteStream, level: string, capture: LogCapture): { flush(): void } {
  let partial = '';
  const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const text =
      typeof chunk === 'string'
        ? chunk
        : Buffer.from(chunk as Uint8Array).toString(
            typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8',
          );
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) capture.emit(level, line);
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  };
  stream.write = write as typeof stream.write;
  return {
    flush() {
      if (partial === '') return;
      const line = partial;
      partial = '';
      capture.emit(level, line);
    },
  };
}
