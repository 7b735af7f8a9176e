/**
 * The shape of a CLI command, declared as data, and the one place that parses a command's arguments,
 * answers `--help`, and prints usage and errors with their exit codes.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ApiError } from '../api/native/api-error.js';
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

/** The option descriptors a command declares (parseArgs' `options`). */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/** What parseArgs answers for a command's options plus `-h/--help`: `values` and `positionals`. */
export type ParsedArgs<O extends CommandOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; allowPositionals: true; options: O & typeof HELP_OPTION }>
>;

/** One top-level CLI command (`lambdata <name> …`), declared as data. */
export interface Command<O extends CommandOptions = CommandOptions> {
  name: string;
  /** One line for `lambdata help`. */
  summary: string;
  /** Printed after `usage: ` for `--help` and for a usage error. */
  usage: string;
  /** Its options, as parseArgs takes them (`-h/--help` is added to every command). */
  options: O;
  /** False when the command takes no positional arguments (one is then a usage error). Default true. */
  positionals?: boolean;
  /** True when a subcommand must be given: without any positional, the usage is printed and the exit code is 2. */
  subcommandRequired?: boolean;
  /** Runs with the parsed arguments; resolves to the exit code. */
  run(args: ParsedArgs<O>, ctx: CliContext): Promise<number>;
}

/** A usage error: the command's message and usage are printed, and the exit code is 2. */
export class UsageError extends Error {}

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/** Declares a command, typing its run function's `values` from its options. */
export function defineCommand<const O extends CommandOptions>(command: Command<O>): Command<O> {
  return command;
}

/**
 * Parses `args` for `command`, answers `--help`, runs it, and turns what it throws into a message on stderr:
 * a usage error (exit 2, with the usage), an error answered by the server (exit 1, with its code), or
 * anything else (exit 1, with the stack).
 */
export async function runCommand(command: Command, args: string[], ctx: CliContext): Promise<number> {
  try {
    const parsed = parseArgs({
      args,
      allowPositionals: command.positionals ?? true,
      options: { ...command.options, ...HELP_OPTION },
    });
    if (parsed.values.help || (command.subcommandRequired && parsed.positionals.length === 0)) {
      ctx.out(`usage: ${command.usage}\n`);
      return parsed.values.help ? 0 : 2;
    }
    return await command.run(parsed as ParsedArgs<CommandOptions>, ctx);
  } catch (err) {
    const prefix = `lambdata ${command.name}`;
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      ctx.err(`${prefix}: ${(err as Error).message}\nusage: ${command.usage}\n`);
      return 2;
    }
    if (err instanceof ApiError) {
      ctx.err(`${prefix}: ${err.code}: ${err.message}\n`);
      return 1;
    }
    ctx.err(`${prefix}: ${(err as Error).stack ?? err}\n`);
    return 1;
  }
}
