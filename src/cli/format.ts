/** Output formatting and argument checks shared by the CLI commands. */
import { UsageError } from './command.js';

/** Renders rows as an aligned plain-text table with a header line. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return `${cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  ')).join('\n')}\n`;
}

/** Renders an object as aligned `key  value` lines (nested values as JSON). */
export function keyValues(object: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(object).map((key) => key.length));
  return `${Object.entries(object)
    .map(([key, value]) => `${key.padEnd(width)}  ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join('\n')}\n`;
}

/**
 * `--since` as epoch ms: a duration back from now (`30s`, `10m`, `2h`, `1d`) or an ISO date.
 * @throws UsageError for anything else.
 */
export function parseSince(value: string, now = Date.now()): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(value);
  if (m) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
    return now - Number(m[1]) * unit;
  }
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw new UsageError(`--since must be a duration like 10m or an ISO date, not '${value}'`);
  return time;
}

/** A positive integer option, or a UsageError naming it. */
export function parsePositiveInt(value: string, option: string, { allowZero = false } = {}): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) {
    throw new UsageError(`${option} must be a ${allowZero ? 'non-negative' : 'positive'} integer, not '${value}'`);
  }
  return n;
}

/** `K=V` pairs into an object; a pair without `=` is a UsageError. */
export function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--env expects KEY=VALUE, not '${pair}'`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

/** A value as indented JSON and a newline, as every `--json` flag prints it. */
export function prettyJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Bytes as a short human size (`1.2 MB`). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Query string of the defined entries. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** A required positional argument, or a UsageError with `message`. */
export function need(value: string | undefined, message: string): string {
  if (!value) throw new UsageError(message);
  return value;
}

/** Runs `follow` with a signal that aborts on SIGINT/SIGTERM, so Ctrl-C ends a tail or follow with exit 0. */
export async function untilInterrupted(follow: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await follow(abort.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
