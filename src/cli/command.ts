import type { ApiClient } from './client.js';

/** What a CLI command receives. */
export interface CliContext {
  /** Client of the running server's native API (`--endpoint`, LAMBDATA_ENDPOINT). */
  client: ApiClient;
  endpoint: string;
  /** Standard output/err writers (tests capture them through the binary). */
  out: (text: string) => void;
  err: (text: string) => void;
}

/** One top-level CLI command (`lambdata <name> …`). */
export interface Command {
  summary: string;
  usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: string[], ctx: CliContext): Promise<number>;
}

/** A usage error: main prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {}
