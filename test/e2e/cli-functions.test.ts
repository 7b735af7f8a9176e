import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, runLambdata, spawnLambdata } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
/** How many times the tests invoked `echo`, which the billing summary must count. */
let echoRuns = 0;

/** Runs the lambdata binary against the test server. */
function lambdata(...args: string[]): Promise<CliResult> {
  return runLambdata(t.url, ...args);
}

beforeAll(async () => {
  t = await startTestServer('cli-functions');
});

afterAll(async () => {
  await t?.close();
});

describe('lambdata function commands', () => {
  it('deploys a directory, zipped client-side, and prints the configuration', async () => {
    const out = await lambdata(
      'deploy',
      'echo',
      fixturePath('lambda/echo'),
      '--handler',
      'index.handler',
      '--memory',
      '256',
      '--timeout',
      '5',
      '--env',
      'GREETING=cli',
    );
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^name\s+echo$/m);
    expect(out.stdout).toMatch(/^memoryMb\s+256$/m);
    expect(t.engine.functions.get('echo').environment).toEqual({ GREETING: 'cli' });
  });

  it('redeploys new code as an update and publishes a version', async () => {
    const out = await lambdata('deploy', 'echo', fixturePath('lambda/echo-v2'), '--publish', '--json');
    expect(out.code).toBe(0);
    const fn = JSON.parse(out.stdout);
    expect(fn.versions.map((v: { version: string }) => v.version)).toEqual(['$LATEST', '1']);
    expect(fn.memoryMb).toBe(256);
  });

  it('exits 2 on usage errors and 1 when the server refuses', async () => {
    const [onlyName, badJson, noHandler, help] = await Promise.all([
      lambdata('deploy', 'only-name'),
      lambdata('invoke', 'echo', '{not json'),
      lambdata('deploy', 'nohandler', fixturePath('lambda/echo')),
      lambdata('deploy', '--help'),
    ]);
    expect(onlyName.code).toBe(2);
    expect(badJson.code).toBe(2);
    expect(noHandler.code).toBe(1);
    expect(noHandler.stderr).toContain('InvalidParameterValueException');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: lambdata deploy');
  });

  it('invokes, printing the payload to stdout and the log tail to stderr', async () => {
    const [out, v1] = await Promise.all([
      lambdata('invoke', 'echo', '{"k":"v"}', '--tail'),
      lambdata('invoke', 'echo', '--qualifier', '1'),
    ]);
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ event: { k: 'v' }, release: 2 });
    expect(out.stderr).toContain('START RequestId:');
    expect(out.stderr).toContain('REPORT RequestId:');
    expect(JSON.parse(v1.stdout)).toMatchObject({ version: '1' });
    echoRuns += 2;
  });

  it('exits 1 on a function error, naming the error type and message', async () => {
    const deployed = await lambdata('deploy', 'failing', fixturePath('lambda/echo'), '--handler', 'index.handler');
    expect(deployed.stderr).toBe('');
    expect(deployed.code).toBe(0);
    const [out, missing] = await Promise.all([
      lambdata('invoke', 'failing', '{"fail":"kaput"}'),
      lambdata('invoke', 'nope'),
    ]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('TypeError: kaput');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('ResourceNotFoundException');
  });

  it('prints log lines of a function', async () => {
    const out = await lambdata('logs', 'echo', '--since', '10m');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('echo v2 got {"k":"v"}');
    expect(out.stdout).toMatch(/^REPORT RequestId: /m);
  });

  it('follows log lines live until interrupted', async () => {
    const child = spawnLambdata(t.url, 'logs', 'echo', '--follow', '--limit', '1');
    let stdout = '';
    const seen = (text: string) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!stdout.includes(text)) return;
          child.stdout.off('data', onData);
          resolve();
        };
        const onData = (chunk: Buffer) => {
          stdout += chunk.toString();
          check();
        };
        child.stdout.on('data', onData);
        check();
      });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const orExit = (wait: Promise<void>) =>
      Promise.race([wait, exited.then((code) => Promise.reject(new Error(`logs --follow exited early (${code})`)))]);
    const within = (ms: number, what: string, wait: Promise<void>) =>
      Promise.race([
        orExit(wait),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`${what} not seen within ${ms} ms; output so far: ${stdout}`)), ms),
        ),
      ]);
    try {
      await within(20_000, 'the replayed last line', seen('REPORT RequestId:'));
      // A line written after the replay arrives live (invoked again if the first went by unseen).
      const live = seen('echo v2 got {"live":true}');
      let done = false;
      void live.then(() => {
        done = true;
      });
      for (let i = 0; i < 5 && !done; i++) {
        await t.engine.invocations.invoke({ functionName: 'echo', payload: '{"live":true}' });
        echoRuns++;
        await Promise.race([live, new Promise((r) => setTimeout(r, 3000))]);
      }
      await within(5_000, 'the live line', live);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('lists functions as a table or JSON, and lists versions', async () => {
    const [table, jsonOut] = await Promise.all([lambdata('functions', 'ls'), lambdata('functions', 'ls', '--json')]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+VERSION\s+RUNTIME/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['echo', 'failing']);
    const json = JSON.parse(jsonOut.stdout);
    expect(json.map((f: { name: string }) => f.name)).toEqual(['echo', 'failing']);

    // Nothing changed since version 1, so publishing again returns it, as AWS does.
    const published = await lambdata('versions', 'echo', '--publish');
    expect(published.stdout).toBe('published echo version 1\n');
    const versions = await lambdata('versions', 'echo');
    expect(versions.stdout).toMatch(/^NAME\s+VERSION/);
    expect(versions.stdout).toMatch(/^echo\s+1\s+nodejs20\.x/m);
  });

  it('summarises billing per function', async () => {
    const [jsonOut, table] = await Promise.all([
      lambdata('billing', '--json'),
      lambdata('billing', '--function', 'echo'),
    ]);
    const json = JSON.parse(jsonOut.stdout);
    expect(json.invocations).toBeGreaterThanOrEqual(3);
    expect(json.byFunction.map((f: { functionName: string }) => f.functionName)).toContain('echo');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^FUNCTION\s+INVOCATIONS\s+BILLED MS\s+GB-S\s+COST/);
    // echo ran three times (--tail, --qualifier 1, and the live one while following logs), or more
    // when the live line was slow to show on a loaded machine and the follow case invoked again.
    expect(echoRuns).toBeGreaterThanOrEqual(3);
    expect(table.stdout).toMatch(new RegExp(`^TOTAL\\s+${echoRuns}\\s`, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^echo\\s+${echoRuns}\\s`, 'm'));
  });

  it('lists, replays and removes dead letters of failed async events', async () => {
    t.engine.functions.putEventInvokeConfig('failing', { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 60 });
    const queued = await lambdata('invoke', 'failing', '{"fail":"later"}', '--async');
    expect(queued.code).toBe(0);
    const deadline = Date.now() + 15_000;
    while (t.engine.invocations.deadLetters.list({ functionName: 'failing' }).length === 0) {
      if (Date.now() > deadline) throw new Error('no dead letter arrived');
      await new Promise((r) => setTimeout(r, 50));
    }
    const [ls, table, usage] = await Promise.all([
      lambdata('dlq', 'ls', '--function', 'failing', '--json'),
      lambdata('dlq', 'ls'),
      lambdata('dlq', 'replay'),
    ]);
    const [letter] = JSON.parse(ls.stdout);
    expect(letter).toMatchObject({ functionName: 'failing', errorType: 'TypeError' });
    expect(usage.code).toBe(2);
    expect(table.stdout).toContain(letter.id);
    const rm = await lambdata('dlq', 'rm', letter.id);
    expect(rm.code).toBe(0);
    expect(t.engine.invocations.deadLetters.list({ functionName: 'failing' })).toEqual([]);
  });

  it('shows and changes how a function handles asynchronous events (invoke-config)', async () => {
    const queueArn = 'arn:aws:sqs:us-east-1:000000000000:echo-failed';
    const set = await lambdata('invoke-config', 'echo', '--retries', '0', '--max-age', '120', '--on-failure', queueArn);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/^maximumRetryAttempts\s+0$/m);
    expect(set.stdout).toMatch(new RegExp(`^onFailure\\s+${queueArn}$`, 'm'));
    expect(t.engine.functions.settings('echo').eventInvokeConfig).toMatchObject({
      maximumRetryAttempts: 0,
      maximumEventAgeInSeconds: 120,
      onFailure: queueArn,
    });
    const cleared = await lambdata('invoke-config', 'echo', '--on-failure', 'none', '--json');
    expect(cleared.code).toBe(0);
    expect(JSON.parse(cleared.stdout)).toEqual({ maximumRetryAttempts: 0, maximumEventAgeInSeconds: 120 });
    const bad = await lambdata('invoke-config', 'echo', '--retries', '5');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('MaximumRetryAttempts');
    expect(t.engine.functions.settings('echo').eventInvokeConfig.maximumRetryAttempts).toBe(0);
  });

  it('sets and lists aliases, and creates, shows and removes a function URL (aliases, url)', async () => {
    const set = await lambdata('aliases', 'echo', 'set', 'live', '--version', '1', '--description', 'prod', '--json');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ name: 'live', functionVersion: '1', description: 'prod' });
    const listed = await lambdata('aliases', 'echo', '--json');
    expect(JSON.parse(listed.stdout).map((a: { name: string }) => a.name)).toEqual(['live']);
    // The alias runs version 1; the unqualified name runs $LATEST.
    const byAlias = await lambdata('invoke', 'echo', '{}', '--qualifier', 'live');
    expect(byAlias.code).toBe(0);
    expect(JSON.parse(byAlias.stdout).version).toBe('1');
    const latest = await lambdata('invoke', 'echo', '{}');
    expect(JSON.parse(latest.stdout).version).toBe('$LATEST');
    const badWeight = await lambdata('aliases', 'echo', 'set', 'live', '--weight', '2=7');
    expect(badWeight.code).toBe(2);
    const none = await lambdata('url', 'echo');
    expect(none.code).toBe(1);
    expect((await fetch(`${t.url}/_lambdata/url/echo/x`)).status).toBe(404);
    const created = await lambdata('url', 'echo', '--auth', 'NONE', '--cors-origin', 'https://app.example', '--json');
    expect(created.code).toBe(0);
    const config = JSON.parse(created.stdout);
    expect(config).toMatchObject({ authType: 'NONE', cors: { AllowOrigins: ['https://app.example'] } });
    const answer = await fetch(`${config.url}hello?x=1`);
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { event: { rawPath: string } }).event.rawPath).toBe('/hello');
    expect((await lambdata('url', 'echo', 'rm')).code).toBe(0);
    expect((await fetch(config.url)).status).toBe(404);
    expect((await lambdata('aliases', 'echo', 'rm', 'live')).code).toBe(0);
    expect(t.engine.functions.aliases.list('echo')).toEqual([]);
  });

  it('shows and removes a function', async () => {
    const show = await lambdata('functions', 'show', 'failing');
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/^handler\s+index\.handler$/m);
    expect((await lambdata('functions', 'rm', 'failing')).code).toBe(0);
    const gone = await lambdata('functions', 'show', 'failing');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('ResourceNotFoundException');
  });
});
