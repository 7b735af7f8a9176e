import type { Command } from './command.js';

/** SHELL — CLI commands of this part. */
export const commands: Record<string, Command> = {};
