import { describe, expect, it } from 'vitest';
import { COMMAND_MODULES, loadCommand } from './main.js';

describe('the CLI command table', () => {
  it('names exactly the commands each module declares, each once', async () => {
    for (const { names, load } of COMMAND_MODULES) {
      expect((await load()).map((command) => command.name)).toEqual(names);
    }
    const all = COMMAND_MODULES.flatMap((m) => m.names);
    expect(new Set(all).size).toBe(all.length);
  });

  it('loads a command by its name, and nothing for an unknown one', async () => {
    expect((await loadCommand('run'))?.usage).toMatch(/^lambdata run /);
    expect((await loadCommand('notify'))?.name).toBe('notify');
    expect(await loadCommand('no-such-command')).toBeUndefined();
  });
});
