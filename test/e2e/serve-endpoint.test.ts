import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, expect, it } from 'vitest';
import { createEngine } from '../../src/engine.js';
import { artifactDir } from '../helpers/artifacts.js';
import { LAMBDATA_BIN } from '../helpers/cli.js';
import { WRITES_HOST_FILES } from '../helpers/sandbox.js';

const dir = artifactDir('lambdata-serve-endpoint-');
let child: ChildProcess | undefined;
afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
  dir.remove();
});

it('lambdata serve --port 0 points functions invoked by work left from before the start at its own port', async () => {
  const dataDir = join(dir.path, 'data');
  const collected = join(dir.path, 'endpoints.log');
  // Records already in a stream with a mapping: its poller invokes as soon as the engine starts.
  const setup = await createEngine({ dataDir, background: false });
  setup.streams.createStream('backlog', { shardCount: 1 });
  await setup.functions.create({
    name: 'endpoint',
    handler: 'index.handler',
    code: { dir: join(import.meta.dirname, '../fixtures/streams/endpoint') },
    environment: { COLLECT_FILE: collected },
  });
  setup.mappings.create({
    functionName: 'endpoint',
    eventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/backlog',
    startingPosition: 'TRIM_HORIZON',
  });
  for (let i = 0; i < 5; i++) setup.streams.putRecord('backlog', { data: Buffer.from(`r${i}`), partitionKey: `k${i}` });
  await setup.close();

  child = spawn(process.execPath, [LAMBDATA_BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
    // Its function records into this test's files, which a sandboxed function cannot see.
    env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'error', LAMBDATA_SANDBOX: WRITES_HOST_FILES.sandbox },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve) => {
    createInterface({ input: child?.stdout as NonNullable<ChildProcess['stdout']> }).on('line', (line) => {
      const m = /listening on (\S+)/.exec(line);
      if (m?.[1]) resolve(m[1]);
    });
  });
  const deadline = Date.now() + 20_000;
  while (!existsSync(collected) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(readFileSync(collected, 'utf8').trim().split('\n')[0]).toBe(url);
});
