/**
 * Isolation, tested the way a hostile function would try to break it: through the engine, a
 * function reads what it should not, writes outside its sandbox, fills its /tmp and tries to
 * outlive a killed engine. On the namespaces level every attempt must fail; the level that ran is
 * in the test names.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateFunctionCommand, type CreateFunctionRequest, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { LAMBDATA_BIN } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const ATTACK = readFileSync(join(import.meta.dirname, '../fixtures/sandbox/attack/index.mjs'));
const zip = () => Buffer.from(zipSync({ 'index.mjs': ATTACK }));
const json = (payload: Uint8Array | undefined) => JSON.parse(Buffer.from(payload ?? []).toString('utf8'));

let server: TestServer;
let lambda: LambdaClient;
let level: string;

beforeAll(async () => {
  server = await startTestServer('sandbox');
  level = server.engine.runtime.sandbox.level;
  lambda = new LambdaClient({ endpoint: server.url, ...AWS_TEST_CONFIG });
  await deployAttackers(lambda);
});
afterAll(async () => {
  lambda?.destroy();
  await server?.close();
});

describe('sandbox: a function attacking its environment', () => {
  it('reports the isolation level in force', () => {
    console.log(`sandbox level: ${level} (${server.engine.runtime.sandbox.features.join(', ')})`);
    expect(['namespaces', 'user-namespaces', 'process']).toContain(level);
    // These machines (Linux, root) offer namespaces: nothing weaker may be taken unasked.
    if (process.platform === 'linux' && process.getuid?.() === 0 && !process.env.LAMBDATA_SANDBOX)
      expect(level).toBe('namespaces');
  });

  it('cannot reach the engine, the data dir, other functions or the host /tmp (namespaces level)', async (ctx) => {
    if (level !== 'namespaces') ctx.skip();
    const victim = await lambda.send(new InvokeCommand({ FunctionName: 'victim' }));
    expect(json(victim.Payload)).toBe('victim-only');
    const marker = `lambdata-attack-${process.pid}-${Date.now()}`;
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: 'attacker',
        Payload: JSON.stringify({ enginePid: process.pid, dataDir: server.dir, other: 'victim', marker }),
      }),
    );
    const report = json(out.Payload);
    expect(report.engineEnviron).toMatchObject({ ok: false });
    expect(report.signalEngine).toMatchObject({ ok: false, code: 'ESRCH' });
    expect(report.database).toMatchObject({ ok: false, code: 'ENOENT' });
    expect(report.dataDir).toMatchObject({ ok: false, code: 'ENOENT' });
    expect(report.otherCodeByHostPath).toMatchObject({ ok: false });
    expect(report.functionsListing).toMatchObject({ ok: false, code: 'EACCES' });
    expect(report.otherCodeStaged).toMatchObject({ ok: false, code: 'EACCES' });
    expect(report.ownCodeWritable).toMatchObject({ ok: false });
    expect(report.secretOfOther).toBeNull();
    // A child process's /tmp is the function's own, never the host's.
    expect(report.childWritesTmp).toMatchObject({ ok: true, value: 'attack\n' });
    expect(report.seesOwnTmp).toBe(true);
    expect(existsSync(`/tmp/${marker}`)).toBe(false);
    // dd past the 512 MB ephemeral storage stops at the limit, for every process.
    expect(report.fillTmp.value).toMatch(/No space left on device/);
    expect(report.uid).not.toBe(0);
    expect(report.processes).toBeLessThan(10);
  });
});

describe('sandbox: an engine that does not run as root (user-namespaces level)', () => {
  // Run `lambdata serve` as an unprivileged user, as on a laptop; only root can start it so here.
  const usable =
    process.getuid?.() === 0 &&
    spawnSync('setpriv', [...AS_NOBODY, 'unshare', '--user', '--map-root-user', '--mount', '--pid', '--fork', 'true'])
      .status === 0 &&
    // and only where that user can read this checkout (a clone under a private home cannot be)
    spawnSync('setpriv', [...AS_NOBODY, 'test', '-r', join(import.meta.dirname, '../../dist/engine.js')]).status === 0;

  it('walls functions off from the engine, its data and each other without root', async (ctx) => {
    if (!usable) ctx.skip();
    const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-sandbox-userns-'));
    chownSync(dataDir, NOBODY, NOBODY);
    const child = spawn(
      'setpriv',
      [...AS_NOBODY, process.execPath, LAMBDATA_BIN, 'serve', '--port', '0', '--data-dir', dataDir],
      {
        env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'error', HOME: dataDir },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const banner: string[] = [];
      const url = await new Promise<string>((resolve) =>
        createInterface({ input: child.stdout }).on('line', (line) => {
          banner.push(line);
          const match = /listening on (\S+)/.exec(line);
          if (match) resolve(match[1] as string);
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 100)); // the rest of the banner
      expect(banner.join('\n')).toMatch(/sandbox\s+user-namespaces/);
      const client = new LambdaClient({ endpoint: url, ...AWS_TEST_CONFIG });
      await deployAttackers(client);
      expect(json((await client.send(new InvokeCommand({ FunctionName: 'victim' }))).Payload)).toBe('victim-only');
      const marker = `lambdata-userns-${process.pid}-${Date.now()}`;
      const out = await client.send(
        new InvokeCommand({
          FunctionName: 'attacker',
          Payload: JSON.stringify({ enginePid: child.pid, dataDir, other: 'victim', marker }),
        }),
      );
      client.destroy();
      const report = json(out.Payload);
      expect(report.engineEnviron).toMatchObject({ ok: false });
      expect(report.signalEngine).toMatchObject({ ok: false, code: 'ESRCH' });
      expect(report.database).toMatchObject({ ok: false, code: 'ENOENT' });
      expect(report.dataDir).toMatchObject({ ok: false, code: 'ENOENT' });
      expect(report.otherCodeByHostPath).toMatchObject({ ok: false });
      expect(report.otherCodeStaged).toMatchObject({ ok: false });
      expect(report.ownCodeWritable).toMatchObject({ ok: false });
      expect(report.secretOfOther).toBeNull();
      expect(report.seesOwnTmp).toBe(true);
      expect(existsSync(`/tmp/${marker}`)).toBe(false);
      expect(report.fillTmp.value).toMatch(/No space left on device/);
      expect(report.capabilities).toBe('0000000000000000');
      expect(report.processes).toBeLessThan(10);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('sandbox: memory of every process counts', () => {
  it('ends an invocation whose child process runs past the memory cgroup as Runtime.OutOfMemory', async (ctx) => {
    if (!server.engine.runtime.sandbox.features.includes('memory-cgroup')) ctx.skip();
    await deploy(lambda, 'child-hog', 'index.childHog', { MemorySize: 128 });
    // The cgroup holds memory + ephemeral storage (128 + 512 MB): a 1 GiB child cannot fit.
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'child-hog', Payload: '{"mb":1024}' }));
    expect(out.FunctionError).toBe('Unhandled');
    expect(json(out.Payload)).toMatchObject({ errorType: 'Runtime.OutOfMemory' });
  }, 40_000);
});

describe('sandbox: environments never outlive the engine', () => {
  it('kills a CPU-bound environment (and on the namespaces level its children) when the engine is killed with -9', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lambdata-sandbox-kill-'));
    const child = spawn(process.execPath, [LAMBDATA_BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
      env: {
        PATH: process.env.PATH ?? '',
        LAMBDATA_LOG: 'error',
        LAMBDATA_SANDBOX: process.env.LAMBDATA_SANDBOX ?? '',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const url = await new Promise<string>((resolve) =>
        createInterface({ input: child.stdout }).on('line', (line) => {
          const match = /listening on (\S+)/.exec(line);
          if (match) resolve(match[1] as string);
        }),
      );
      const client = new LambdaClient({ endpoint: url, ...AWS_TEST_CONFIG });
      await deploy(client, 'spinner', 'index.spin', { Timeout: 900 });
      const marker = `300.${Date.now() % 1e9}`;
      await client.send(
        new InvokeCommand({ FunctionName: 'spinner', InvocationType: 'Event', Payload: JSON.stringify({ marker }) }),
      );
      client.destroy();
      await waitFor(() => processesWith(marker).length === 2, 20_000); // the spinning runtime and its sleep
      child.kill('SIGKILL');
      await exited;
      // A process-level environment dies by its parent-death signal, but not a child it detached.
      const left = level === 'namespaces' ? marker : `spin-${marker}`;
      await waitFor(() => processesWith(left).length === 0, 5_000);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 40_000);
});

/** Deploys a handler of the attack fixture through the Lambda API. */
function deploy(client: LambdaClient, name: string, handler: string, extra: Partial<CreateFunctionRequest> = {}) {
  return client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::000000000000:role/lambda',
      Handler: handler,
      Code: { ZipFile: zip() },
      Timeout: 30,
      ...extra,
    }),
  );
}

/** The attacker, and a victim whose variables hold the secret it tries to read. */
async function deployAttackers(client: LambdaClient): Promise<void> {
  await deploy(client, 'attacker', 'index.probe');
  await deploy(client, 'victim', 'index.secret', { Environment: { Variables: { OTHER_SECRET: 'victim-only' } } });
}

const NOBODY = 65534;
const AS_NOBODY = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];

/** PIDs of processes whose command line mentions `marker`, seen from the host. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(marker)) found.push(Number(name));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ESRCH') throw err;
    }
  }
  return found;
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
