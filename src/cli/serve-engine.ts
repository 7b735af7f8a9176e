import { startServer } from '../api/index.js';
import { createEngine } from '../engine.js';
import { raiseServerPriority, type SandboxInfo } from '../runtime/index.js';
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
 * LAMBDATA_PORT, LAMBDATA_HOST, LAMBDATA_TOKEN, LAMBDATA_CREDENTIALS_FILE and LAMBDATA_PROFILE.
 * LAMBDATA_RAISE_PRIORITY=0 keeps the server's event loop at the niceness it started with.
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
  const priority = env.LAMBDATA_RAISE_PRIORITY === '0' ? undefined : raiseServerPriority();
  const engine = await createEngine({
    dataDir: values['data-dir'],
    accountConcurrency: values.concurrency ? Number(values.concurrency) : undefined,
    credentials,
    awaitEndpoint: true,
  });
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
    ctx.err(`lambdata: ${(err as Error).message}\n`);
    return 1;
  }
  ctx.out(`lambdata listening on ${server.url}\n`);
  ctx.out(`  dashboard   ${server.url}/_lambdata/ui/${values.token ? ' (sign in with the token)' : ''}\n`);
  ctx.out(`  data dir    ${engine.dataDir}\n`);
  ctx.out(`  sandbox     ${describeSandbox(engine.runtime.sandbox)}\n`);
  ctx.out(`  aws keys    ${describeKeys(source, credentials.accessKeyId)}\n`);
  ctx.out(
    `  priority    ${priority ? `event loop at nice ${priority.to} (started at ${priority.from}); environments run niced below ${priority.from}` : 'server not raised above its environments (LAMBDATA_RAISE_PRIORITY=0, or neither root nor CAP_SYS_NICE)'}\n`,
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
  return 0;
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
