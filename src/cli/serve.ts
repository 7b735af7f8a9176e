import { defineCommand } from './command.js';

/** The options of `lambdata serve` (defaults from the environment are applied when it runs). */
export const SERVE_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  token: { type: 'string' },
  'access-key': { type: 'string' },
  'secret-key': { type: 'string' },
  'credentials-file': { type: 'string' },
  profile: { type: 'string' },
  'allow-host': { type: 'string', multiple: true },
  'allow-code-dir': { type: 'string', multiple: true },
  concurrency: { type: 'string' },
  'keep-job-runs': { type: 'string' },
  'keep-job-days': { type: 'string' },
  demo: { type: 'boolean' },
} as const;

/**
 * `lambdata serve`: the only command that runs the engine itself. Its run loads the engine only when it
 * runs, so that the client commands start fast.
 */
export const serve = defineCommand({
  name: 'serve',
  summary: 'run the engine and its server (AWS APIs, native API, dashboard)',
  usage:
    'lambdata serve [--port 4566] [--host 127.0.0.1] [--data-dir .lambdata] [--token T] ' +
    '[--access-key K --secret-key S | --credentials-file FILE [--profile P]] [--allow-host NAME …] ' +
    '[--allow-code-dir DIR …] [--concurrency 1000] [--keep-job-runs 20] [--keep-job-days 30] [--demo]',
  options: SERVE_OPTIONS,
  positionals: false,
  run: async (args, ctx) => (await import('./serve-engine.js')).runServe(args, ctx),
});
