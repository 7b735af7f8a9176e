import { parseArgs } from 'node:util';
import { startServer } from '../api/index.js';
import { createEngine } from '../engine.js';
import type { SandboxInfo } from '../runtime/index.js';
import { type Command, UsageError } from './command.js';
import { seedDemo } from './demo.js';
import { resolveCredentials } from './serve-credentials.js';

// main.ts repeats this line, so that it can show it without loading the engine.
const USAGE =
  'lambdata serve [--port 4566] [--host 127.0.0.1] [--data-dir .lambdata] [--token T] ' +
  '[--access-key K --secret-key S | --credentials-file FILE [--profile P]] [--allow-host NAME …] ' +
  '[--allow-code-dir DIR …] [--concurrency 1000] [--demo]';

/** `namespaces (mount-ns, pid-ns, …)`, or the weaker level with the reason a stronger one was not taken. */
function describeSandbox(sandbox: SandboxInfo): string {
  const features = sandbox.features.length > 0 ? ` (${sandbox.features.join(', ')})` : '';
  return `${sandbox.level}${features}${sandbox.reason ? ` — ${sandbox.reason}` : ''}`;
}

/** `lambdata serve`: the only command that runs the engine itself. */
export const commands: Record<string, Command> = {
  serve: {
    summary: 'run the engine and its server (AWS APIs, native API, dashboard)',
    usage: USAGE,
    async run(args, ctx) {
      const env = process.env;
      const { values } = parseArgs({
        args,
        options: {
          port: { type: 'string', default: env.LAMBDATA_PORT ?? '4566' },
          host: { type: 'string', default: env.LAMBDATA_HOST ?? '127.0.0.1' },
          'data-dir': { type: 'string' },
          token: { type: 'string', default: env.LAMBDATA_TOKEN },
          'access-key': { type: 'string' },
          'secret-key': { type: 'string' },
          'credentials-file': { type: 'string', default: env.LAMBDATA_CREDENTIALS_FILE },
          profile: { type: 'string', default: env.LAMBDATA_PROFILE },
          'allow-host': { type: 'string', multiple: true },
          'allow-code-dir': { type: 'string', multiple: true },
          concurrency: { type: 'string' },
          demo: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h' },
        },
      });
      if (values.help) {
        ctx.out(`usage: ${USAGE}\n`);
        return 0;
      }
      const port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError(`--port: ${values.port} is not a port`);
      const { credentials, source } = resolveCredentials({
        accessKey: values['access-key'],
        secretKey: values['secret-key'],
        credentialsFile: values['credentials-file'],
        profile: values.profile,
        token: values.token,
        env,
      });
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
    },
  },
};

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
