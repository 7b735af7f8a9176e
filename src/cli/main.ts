import { ApiClient } from './client.js';
import { type CliContext, type Command, runCommand } from './command.js';

/**
 * Every command, in the order `lambdata help` lists them, by the module that declares it. A command's
 * module is loaded only when it runs: loading every command's module graph cost each `lambdata run`
 * 20-75 ms of process start (29 modules against 3), paid by every job started from the CLI.
 * main.test.ts checks these names against what each module declares.
 */
export const COMMAND_MODULES: ReadonlyArray<{ names: readonly string[]; load: () => Promise<readonly Command[]> }> = [
  { names: ['serve'], load: async () => [(await import('./serve.js')).serve] },
  {
    names: ['deploy', 'invoke', 'logs', 'functions', 'versions', 'invoke-config', 'aliases', 'url', 'billing', 'dlq'],
    load: async () => (await import('./functions.js')).commands,
  },
  { names: ['s3', 'notify'], load: async () => (await import('./s3.js')).commands },
  { names: ['run', 'jobs'], load: async () => (await import('./jobs.js')).commands },
  { names: ['streams'], load: async () => (await import('./streams.js')).commands },
  { names: ['tables'], load: async () => (await import('./tables.js')).commands },
  { names: ['queues'], load: async () => (await import('./queues.js')).commands },
  { names: ['topics'], load: async () => (await import('./topics.js')).commands },
  { names: ['mappings', 'schedule'], load: async () => (await import('./mappings.js')).commands },
  { names: ['dataset'], load: async () => (await import('./datasets.js')).commands },
  { names: ['views'], load: async () => (await import('./views.js')).commands },
  { names: ['targets'], load: async () => (await import('./targets.js')).commands },
  { names: ['stacks'], load: async () => (await import('./stacks.js')).commands },
];

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
  const command = await loadCommand(name);
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

/** The command called `name`, its module loaded; undefined for no such command. */
export async function loadCommand(name: string): Promise<Command | undefined> {
  const module = COMMAND_MODULES.find((m) => m.names.includes(name));
  return (await module?.load())?.find((command) => command.name === name);
}

async function help(): Promise<number> {
  const commands = (await Promise.all(COMMAND_MODULES.map((m) => m.load()))).flat();
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  process.stdout.write(
    `lambdata — serverless data processing on one machine\n\nusage: lambdata [--endpoint URL] [--token T] <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'lambdata <command> --help' for a command's options.\n`,
  );
  return 0;
}
