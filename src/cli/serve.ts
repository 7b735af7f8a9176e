import { parseArgs } from 'node:util';
import { startServer } from '../api/index.js';
import { createEngine } from '../engine.js';
import type { Command } from './command.js';
import { seedDemo } from './demo.js';

const USAGE =
  'lambdata serve [--port 4566] [--host 127.0.0.1] [--data-dir .lambdata] [--token T] [--concurrency 1000] [--demo]';

/** `lambdata serve`: the only command that runs the engine itself. */
export const commands: Record<string, Command> = {
  serve: {
    summary: 'run the engine and its server (AWS APIs, native API, dashboard)',
    usage: USAGE,
    async run(args, ctx) {
      const { values } = parseArgs({
        args,
        options: {
          port: { type: 'string', default: process.env.LAMBDATA_PORT ?? '4566' },
          host: { type: 'string', default: process.env.LAMBDATA_HOST ?? '127.0.0.1' },
          'data-dir': { type: 'string' },
          token: { type: 'string', default: process.env.LAMBDATA_TOKEN },
          concurrency: { type: 'string' },
          demo: { type: 'boolean', default: false },
          help: { type: 'boolean', short: 'h' },
        },
      });
      if (values.help) {
        ctx.out(`usage: ${USAGE}\n`);
        return 0;
      }
      const engine = await createEngine({
        dataDir: values['data-dir'],
        accountConcurrency: values.concurrency ? Number(values.concurrency) : undefined,
        awaitEndpoint: true,
      });
      const server = await startServer(engine, {
        host: values.host,
        port: Number(values.port),
        token: values.token,
      });
      ctx.out(`lambdata listening on ${server.url}\n`);
      ctx.out(`  dashboard   ${server.url}/_lambdata/ui/\n`);
      ctx.out(`  data dir    ${engine.dataDir}\n`);
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
