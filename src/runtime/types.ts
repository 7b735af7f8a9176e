/**
 * What the runtime needs of a function version to start and drive its environments. The invoke
 * layer's FunctionVersion has these fields (and more), so it is passed as it is.
 */
export interface RuntimeFunction {
  name: string;
  version: string; // '$LATEST' | '1' | '2' …
  handler: string; // 'path/file.export'
  runtime: string; // 'nodejs' | 'nodejs20.x' | 'provided.al2023' …
  memoryMb: number;
  timeoutS: number;
  ephemeralStorageMb: number;
  environment: Record<string, string>;
  /** Absolute path of the unpacked package root. */
  codeDir: string;
  codeSha256: string;
  revisionId: string;
}

/** An error as it crosses the process boundary (AWS shape). */
export interface FunctionErrorShape {
  errorType: string;
  errorMessage: string;
  stackTrace?: string[];
  /** The error document exactly as a Runtime API runtime posted it (returned to the caller as is). */
  document?: Buffer;
}

/** How an invocation ended inside its environment. */
export type RunOutcome = 'success' | 'handled' | 'unhandled' | 'timeout' | 'oom';

/** One invocation handed to the runtime. */
export interface RunRequest {
  fn: RuntimeFunction;
  requestId: string;
  payload: Buffer; // JSON text of the event
  invokedFunctionArn: string;
  clientContext?: string;
  /** Called with each line the function writes (already tagged `<iso>\t<requestId>\tINFO\t…`), as it happens. */
  onLog?: (line: string) => void;
}

/** What the runtime reports back; the invoker turns it into START/END/REPORT, billing and a record. */
export interface RunResult {
  outcome: RunOutcome;
  payload?: Buffer; // JSON text of the result on success
  error?: FunctionErrorShape; // on handled/unhandled/timeout/oom
  durationMs: number; // handler time, fractional
  initDurationMs: number | null; // on a cold start
  maxMemoryUsedMb: number; // real peak RSS of the environment
  coldStart: boolean;
}

/** Counts for the dashboard and benchmarks. */
export interface RuntimeStats {
  environments: number;
  busy: number;
  idle: number;
  prestarted: number;
}

/** Runs invocations in execution environments. */
export interface Runtime {
  run(request: RunRequest): Promise<RunResult>;
  /** Drops environments of a function (code or config changed, function deleted). */
  retire(functionName: string): void;
  /** Runs of a function without an environment yet: waiting for a busy one to be released (see demand.ts), or starting one. */
  waitingRuns(functionName: string): number;
  stats(): RuntimeStats;
  close(): Promise<void>;
}
