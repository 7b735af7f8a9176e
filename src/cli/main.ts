import { ApiClient } from './client.js';
import { type CliContext, type Command, runCommand } from './command.js';
import { commands as datasetCommands } from './datasets.js';
import { commands as functionCommands } from './functions.js';
import { commands as jobCommands } from './jobs.js';
import { commands as mappingCommands } from './mappings.js';
import { commands as queueCommands } from './queues.js';
import { commands as s3Commands } from './s3.js';
import { serve } from './serve.js';
import { commands as stackCommands } from './stacks.js';
import { commands as streamCommands } from './streams.js';
import { commands as tableCommands } from './tables.js';
import { commands as targetCommands } from './targets.js';
import { commands as topicCommands } from './topics.js';
import { commands as viewCommands } from './views.js';

/** Every command, in the order `lambdata help` lists them. */
const COMMANDS: ReadonlyMap<string, Command> = new Map(
  [
    serve,
    ...functionCommands,
    ...s3Commands,
    ...jobCommands,
    ...streamCommands,
    ...tableCommands,
    ...queueCommands,
    ...topicCommands,
    ...mappingCommands,
    ...datasetCommands,
    ...viewCommands,
    ...targetCommands,
    ...stackCommands,
  ].map((command) => [command.name, command]),
);

/**
 * Entry point of the `lambdata` binary. Global options come before the command:
 * `--endpoint URL` (LAMBDATA_ENDPOINT, default http://127.0.0.1:4566) and `--token T` (LAMBDATA_TOKEN).
 */
export async function main(argv: string[]): Promise<number> {
  let endpoint = process.env.LAMBDATA_ENDPOINT ?? 'http://127.0.0.1:4566';
  let token = process.env.LAMBDATA_TOKEN;
  const args = [...argv];
  while (args[0]?.startsWith('--')) {
    const flag = args.shift() as string;
    if (flag === '--help') return help();
    if (flag === '--version') return version();
    const [name, inline] = flag.split('=', 2);
    const value = inline ?? args.shift();
    if (name === '--endpoint' && value) endpoint = value;
    else if (name === '--token' && value) token = value;
    else {
      process.stderr.write(`lambdata: unknown option ${flag}\n`);
      return 2;
    }
  }
  const name = args.shift();
  if (!name || name === 'help' || name === '-h') return help();
  if (name === 'version') return version();
  const command = COMMANDS.get(name);
  if (!command) {
    process.stderr.write(`lambdata: unknown command '${name}'. Run 'lambdata help'.\n`);
    return 2;
  }
  const ctx: CliContext = {
    client: new ApiClient(endpoint, token),
    endpoint,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
  return runCommand(command, args, ctx);
}

function version(): number {
  process.stdout.write('lambdata 0.1.0\n');
  return 0;
}

function help(): number {
  const width = Math.max(...[...COMMANDS.keys()].map((n) => n.length));
  const lines = [...COMMANDS.values()].map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  process.stdout.write(
    `lambdata — serverless data processing on one machine\n\nusage: lambdata [--endpoint URL] [--token T] <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'lambdata <command> --help' for a command's options.\n`,
  );
  return 0;
}
