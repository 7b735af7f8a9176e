import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { LAMBDATA_BIN, runLambdata } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('lambdata queues / mappings / schedule CLI', () => {
  let t: TestServer;
  const cli = async (...args: string[]) => {
    const { code, stdout, stderr } = await runLambdata(t.url, ...args);
    if (code !== 0) throw new Error(`lambdata ${args.join(' ')} exited ${code}: ${stderr}`);
    return stdout;
  };

  beforeAll(async () => {
    t = await startTestServer('qcli');
  });

  afterAll(async () => {
    await t?.close();
  });

  it('creates queues with a DLQ, sends, receives and deletes', async () => {
    t.engine.queues.createQueue('tasks-dlq');
    expect(await cli('queues', 'create', 'tasks', '--dlq', 'tasks-dlq', '--max-receives', '3')).toMatch(
      /\/000000000000\/tasks\n$/,
    );
    await cli('queues', 'send', 'tasks', 'hello world');
    const ls = await cli('queues', 'ls');
    expect(ls).toMatch(/tasks\s+1\s+0\s+0\s+tasks-dlq after 3/);
    expect(await cli('queues', 'receive', 'tasks', '--max', '5', '--delete')).toBe('hello world\n');
    expect(t.engine.queues.depth('tasks')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('manages mappings and schedules', async () => {
    await t.engine.functions.create({
      name: 'sink',
      handler: 'index.handler',
      code: { dir: new URL('../fixtures/events/web', import.meta.url).pathname },
    });
    t.engine.queues.createQueue('feed');
    const uuid = (await cli('mappings', 'create', '--function', 'sink', '--queue', 'feed', '--batch-size', '5')).trim();
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(await cli('mappings', 'ls')).toMatch(new RegExp(`${uuid}\\s+sink\\s+sqs:feed\\s+Enabled\\s+5`));
    expect(await cli('mappings', 'disable', uuid)).toBe(`${uuid} Disabling\n`);
    expect(t.engine.mappings.view(uuid).state).toBe('Disabled');
    await cli('mappings', 'rm', uuid);
    expect(t.engine.mappings.list()).toEqual([]);

    expect(await cli('schedule', 'add', 'nightly', 'cron(0 3 * * ? *)', '--function', 'sink')).toMatch(
      /^nightly next fire \d{4}-\d{2}-\d{2}T03:00:00.000Z\n$/,
    );
    expect(await cli('schedule', 'ls')).toMatch(/nightly\s+cron\(0 3 \* \* \? \*\)\s+sink/);
    await cli('schedule', 'rm', 'nightly');
    expect(t.engine.schedules.list()).toEqual([]);
  });
});

describe('queue durability', () => {
  it('keeps every acknowledged send across kill -9', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'lambdata-qkill-'));
    const child = spawn('node', [LAMBDATA_BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let text = '';
      child.stdout.setEncoding('utf8');
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: string) => {
          text += chunk;
          const m = /listening on (http:\/\/\S+)/.exec(text);
          if (m) resolve(m[1] as string);
        });
        child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
      });
      const sqs = new SQSClient({
        endpoint: url,
        ...AWS_TEST_CONFIG,
      });
      const { CreateQueueCommand } = await import('@aws-sdk/client-sqs');
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'durable' }));
      const sent: string[] = [];
      for (let i = 0; i < 50; i++) {
        await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `m${i}` }));
        sent.push(`m${i}`);
      }
      sqs.destroy();
      child.kill('SIGKILL');
      await once(child, 'exit');
      const engine = await createEngine({ dataDir, background: false });
      try {
        const got: string[] = [];
        for (;;) {
          const batch = await engine.queues.receive('durable', { maxMessages: 10 });
          if (batch.length === 0) break;
          got.push(...batch.map((m) => m.body));
        }
        expect(got).toEqual(sent);
      } finally {
        await engine.close();
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
