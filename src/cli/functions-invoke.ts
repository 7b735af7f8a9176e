import { readFileSync } from 'node:fs';
import type { InvokeAnswer, LogsAnswer } from '../api/native/contract.js';
import { defineCommand, UsageError } from './command.js';
import { parsePositiveInt, parseSince, query, untilInterrupted } from './format.js';

const INVOKE_USAGE =
  'lambdata invoke <name> [payload-json | --file f | -] [--async] [--tail] [--qualifier v] [--dry-run]';
const LOGS_USAGE = 'lambdata logs <name> [--follow] [--since 10m|ISO] [--limit N] [--json]';

/** `lambdata invoke`: prints the result payload; exit 1 when the function failed. */
export const invoke = defineCommand({
  name: 'invoke',
  summary: 'Invoke a function and print its result',
  usage: INVOKE_USAGE,
  options: {
    file: { type: 'string', short: 'f' },
    async: { type: 'boolean' },
    tail: { type: 'boolean' },
    qualifier: { type: 'string', short: 'q' },
    'dry-run': { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    const [name, inline, ...extra] = positionals;
    if (!name || extra.length) throw new UsageError('expected <name> and at most one payload');
    if (values.async && values['dry-run']) throw new UsageError('--async and --dry-run exclude each other');
    const payload = await readPayload(inline, values.file);
    const type = values.async ? 'Event' : values['dry-run'] ? 'DryRun' : 'RequestResponse';
    const path = `/functions/${encodeURIComponent(name)}/invoke${query({
      type,
      tail: values.tail ? 1 : undefined,
      qualifier: values.qualifier,
    })}`;
    const res = await ctx.client.request<InvokeAnswer>('POST', path, Buffer.from(payload), {
      'content-type': 'application/json',
    });
    if (values.tail && res.logs) ctx.err(res.logs.endsWith('\n') ? res.logs : `${res.logs}\n`);
    if (type === 'Event') {
      ctx.err(`queued ${name} (202), request id ${res.requestId}\n`);
      return 0;
    }
    if (type === 'DryRun') {
      ctx.err(`dry run of ${name} succeeded (204)\n`);
      return 0;
    }
    if (res.functionError) {
      const error = (res.payload ?? {}) as { errorType?: string; errorMessage?: string };
      ctx.err(
        `${name} failed (${res.functionError}): ${error.errorType ?? 'Error'}: ${error.errorMessage ?? JSON.stringify(res.payload)}\n`,
      );
      return 1;
    }
    ctx.out(`${typeof res.payload === 'string' ? res.payload : JSON.stringify(res.payload)}\n`);
    return 0;
  },
});

/** `lambdata logs`: the function's recent log lines; `--follow` keeps streaming until interrupted. */
export const logs = defineCommand({
  name: 'logs',
  summary: "Print a function's log lines (START … REPORT)",
  usage: LOGS_USAGE,
  options: {
    follow: { type: 'boolean', short: 'f' },
    since: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    const [name, ...extra] = positionals;
    if (!name || extra.length) throw new UsageError('expected <name>');
    const params = {
      since: values.since ? parseSince(values.since) : undefined,
      limit: values.limit ? parsePositiveInt(values.limit, '--limit') : undefined,
    };
    const print = (line: unknown) => ctx.out(`${values.json ? JSON.stringify(line) : formatLogLine(line)}\n`);
    const base = `/functions/${encodeURIComponent(name)}/logs`;
    if (!values.follow) {
      const { lines } = await ctx.client.get<LogsAnswer>(`${base}${query(params)}`);
      for (const line of lines) print(line);
      return 0;
    }
    await untilInterrupted((signal) =>
      ctx.client.stream(
        `${base}/stream${query(params)}`,
        (event, data) => {
          if (event === 'log') print(data);
        },
        signal,
      ),
    );
    return 0;
  },
});

/** One log line as text: the raw line when the server sends strings, else its message field. */
export function formatLogLine(line: unknown): string {
  if (typeof line === 'string') return line.replace(/\n$/, '');
  const record = line as { message?: unknown; line?: unknown; text?: unknown };
  const text = record.message ?? record.line ?? record.text;
  return typeof text === 'string' ? text.replace(/\n$/, '') : JSON.stringify(line);
}

async function readPayload(inline: string | undefined, file: string | undefined): Promise<string> {
  if (inline !== undefined && file !== undefined) throw new UsageError('give a payload or --file, not both');
  let text: string;
  if (file !== undefined) text = readFileSync(file, 'utf8');
  else if (inline === '-') text = await readStdin();
  else text = inline ?? '{}';
  if (text.trim() === '') return '{}';
  try {
    JSON.parse(text);
  } catch (err) {
    throw new UsageError(`the payload is not valid JSON: ${(err as Error).message}`);
  }
  return text;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
