import { startServer } from '../api/index.js';
import { createEngine } from '../engine.js';
import type { RetentionPolicy } from '../jobs/index.js';
import { joinServerGroup, raiseServerPriority, type SandboxInfo, type ServerGroup } from '../runtime/index.js';
import { type CliContext, type ParsedArgs, UsageError } from './command.js';
import { seedDemo } from './demo.js';
import type { SERVE_OPTIONS } from './serve.js';
import { resolveCredentials } from './serve-credentials.js';

/** `namespaces (mount-ns, pid-ns, …)`, or the weaker level with the reason a stronger one was not taken. */
function describeSandbox(sandbox: SandboxInfo): string {
  const features = sandbox.features.length > 0 ? ` (${sandbox.features.join(', ')})` : '';
  return `${sandbox.level}${features}${sandbox.reason ? ` — ${sandbox.reason}` : ''}`;
}

/**
 * Runs `lambdata serve`: the engine and its server, until SIGINT or SIGTERM. Options left out fall back to
 * LAMBDATA_PORT, LAMBDATA_HOST, LAMBDATA_TOKEN, LAMBDATA_CREDENTIALS_FILE, LAMBDATA_PROFILE,
 * LAMBDATA_KEEP_JOB_RUNS and LAMBDATA_KEEP_JOB_DAYS.
 * LAMBDATA_RAISE_PRIORITY=0 keeps the server at the niceness it started with, and out of a cpu group
 * of its own.
 */
export async function runServe(
  { values: options }: ParsedArgs<typeof SERVE_OPTIONS>,
  ctx: CliContext,
): Promise<number> {
  const env = process.env;
  const values = {
    ...options,
    port: options.port ?? env.LAMBDATA_PORT ?? '4566',
    host: options.host ?? env.LAMBDATA_HOST ?? '127.0.0.1',
    token: options.token ?? env.LAMBDATA_TOKEN,
    'credentials-file': options['credentials-file'] ?? env.LAMBDATA_CREDENTIALS_FILE,
    profile: options.profile ?? env.LAMBDATA_PROFILE,
    'keep-job-runs': options['keep-job-runs'] ?? env.LAMBDATA_KEEP_JOB_RUNS,
    'keep-job-days': options['keep-job-days'] ?? env.LAMBDATA_KEEP_JOB_DAYS,
  };
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: ${values.port} is not a port`);
  const { credentials, source } = resolveCredentials({
    accessKey: values['access-key'],
    secretKey: values['secret-key'],
    credentialsFile: values['credentials-file'],
    profile: values.profile,
    token: values.token,
    env,
  });
  // Before the engine starts any process: those return to the niceness the server started with.
  const raise = env.LAMBDATA_RAISE_PRIORITY !== '0';
  const priority = raise ? raiseServerPriority() : undefined;
  const engine = await createEngine({
    dataDir: values['data-dir'],
    accountConcurrency: values.concurrency ? Number(values.concurrency) : undefined,
    jobRetention: {
      keepRuns: limit('--keep-job-runs', values['keep-job-runs'], Number.isSafeInteger),
      keepDays: limit('--keep-job-days', values['keep-job-days'], Number.isFinite),
    },
    credentials,
    awaitEndpoint: true,
  });
  // Where environments weigh one cpu group, the server weighs one beside it (see cgroups.ts).
  const cpuGroup = raise && engine.runtime.sandbox.features.includes('cpu-cgroup') ? joinServerGroup() : undefined;
  // The process may also end inside engine.close() (nothing left holding the event loop): leave then.
  if (cpuGroup) process.once('exit', () => cpuGroup.leave());
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(engine, {
      host: values.host,
      port,
      token: values.token || undefined,
      allowHosts: values['allow-host'],
      allowCodeDirs: values['allow-code-dir'],
      // Test-only (a server standing in for AWS in the targets tests): see src/api/faults.ts.
      faults: env.LAMBDATA_FAULTS || undefined,
    });
  } catch (err) {
    // Nothing is served: stop the engine's workers so the process exits instead of idling.
    await engine.close();
    await leave(cpuGroup);
    ctx.err(`lambdata: ${(err as Error).message}\n`);
    return 1;
  }
  ctx.out(`lambdata listening on ${server.url}\n`);
  ctx.out(`  dashboard   ${server.url}/_lambdata/ui/${values.token ? ' (sign in with the token)' : ''}\n`);
  ctx.out(`  data dir    ${engine.dataDir}\n`);
  ctx.out(`  sandbox     ${describeSandbox(engine.runtime.sandbox)}\n`);
  ctx.out(`  aws keys    ${describeKeys(source, credentials.accessKeyId)}\n`);
  ctx.out(`  job runs    ${describeRetention(engine.jobs.retention)}\n`);
  ctx.out(
    `  priority    ${priority ? `nice ${priority.to} (started at ${priority.from}); environments run niced below ${priority.from}` : 'server not raised above its environments (LAMBDATA_RAISE_PRIORITY=0, or neither root nor CAP_SYS_NICE)'}${describeGroup(cpuGroup)}\n`,
  );
  if (values.demo) await seedDemo(engine, server.url, ctx.out);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  ctx.out('lambdata: stopping…\n');
  await server.close();
  await engine.close();
  await leave(cpuGroup);
  return 0;
}

/** A retention limit given as text: a non-negative number (0: no limit). @throws UsageError. */
function limit(flag: string, text: string | undefined, valid: (n: number) => boolean): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = Number(text);
  if (!valid(n) || n < 0)
    throw new UsageError(
      `${flag}: ${text} is not a non-negative ${flag === '--keep-job-runs' ? 'integer' : 'number'} (0: no limit)`,
    );
  return n;
}

/** `newest 20 per kind, up to 30 days` (0 turns a limit off). */
function describeRetention({ keepRuns, keepDays }: RetentionPolicy): string {
  const limits = [
    ...(keepRuns > 0 ? [`newest ${keepRuns} per kind`] : []),
    ...(keepDays > 0 ? [`up to ${keepDays} days`] : []),
  ];
  return `${limits.length > 0 ? `finished ones kept: ${limits.join(', ')}` : 'every finished one kept'} (--keep-job-runs, --keep-job-days)`;
}

/** Leaves the server's cpu group, waiting up to ~1 s for processes killed by the engine's close to exit. */
async function leave(group: ServerGroup | undefined): Promise<void> {
  for (let attempt = 0; group && !group.leave() && attempt < 50; attempt++)
    await new Promise((resolve) => setTimeout(resolve, 20));
}

function describeGroup(group: ServerGroup | undefined): string {
  return group
    ? `; its own cpu group weighing ${group.shares}, beside the environments' ${group.environmentShares}`
    : '';
}

function describeKeys(source: string, accessKeyId: string): string {
  switch (source) {
    case 'generated':
      return `${accessKeyId} (generated for this run and given to functions; set --access-key/--secret-key to sign requests from outside)`;
    case 'default':
      return 'test/test (the default; anyone on this machine can use them)';
    default:
      return `${accessKeyId} (from ${source})`;
  }
}
