import type { Command } from './command.js';
import { functions, versions } from './functions-admin.js';
import { invokeConfig } from './functions-async.js';
import { billing, dlq } from './functions-billing.js';
import { deploy } from './functions-deploy.js';
import { invoke, logs } from './functions-invoke.js';
import { commands as routingCommands } from './functions-routing.js';

/** Function commands: deploy, invoke, logs, functions, versions, invoke-config, aliases, url, billing, dlq. */
export const commands: Command[] = [
  deploy,
  invoke,
  logs,
  functions,
  versions,
  invokeConfig,
  ...routingCommands,
  billing,
  dlq,
];
