import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTopicCommand, PublishCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SNSEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine.js';
import { artifactDir } from '../helpers/artifacts.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { LAMBDATA_BIN } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { wholeJsonLines } from '../helpers/recorder.js';
import { WRITES_HOST_FILES } from '../helpers/sandbox.js';
import { eventually } from '../helpers/wait.js';

const dir = artifactDir('lambdata-sns-kill-');
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  dir.remove();
});

/** Starts `lambdata serve` on port 0 over `dataDir`; resolves with its URL. */
async function serve(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [LAMBDATA_BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { PATH: process.env.PATH ?? '', LAMBDATA_LOG: 'error' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let text = '';
  child.stdout?.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      text += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(text);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
  });
  return { child, url };
}

describe('SNS durability', () => {
  it('delivers every publish acknowledged before kill -9 of lambdata serve to the queue and the function', async () => {
    const dataDir = join(dir.path, 'data');
    const seen = join(dir.path, 'seen.jsonl');
    // Reserved concurrency 0: the function runs nothing before the crash, so every invocation is still queued.
    const setup = await createEngine({ dataDir, background: false });
    await setup.functions.create({
      name: 'fan-in',
      handler: 'index.handler',
      code: { dir: fixturePath('objects/recorder') },
      environment: { COLLECT_FILE: seen },
      reservedConcurrency: 0,
    });
    await setup.close();

    const { child, url } = await serve(dataDir);
    const config = { ...AWS_TEST_CONFIG, endpoint: url, maxAttempts: 1 };
    const sns = new SNSClient(config);
    const sqs = new SQSClient(config);
    const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'events' }));
    await sqs.send(new CreateQueueCommand({ QueueName: 'events-copy' }));
    await sns.send(
      new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: 'arn:aws:sqs:us-east-1:000000000000:events-copy' }),
    );
    await sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: 'lambda',
        Endpoint: 'arn:aws:lambda:us-east-1:000000000000:function:fan-in',
      }),
    );
    const acknowledged = new Set<string>();
    let killed = false;
    const publisher = async (w: number) => {
      for (let i = 0; !killed; i++) {
        try {
          const out = await sns.send(new PublishCommand({ TopicArn, Message: `w${w}-${i}` }));
          acknowledged.add(out.MessageId as string);
          if (acknowledged.size >= 300 && !killed) {
            killed = true;
            child.kill('SIGKILL');
          }
        } catch (err) {
          if (!killed) throw err;
        }
      }
    };
    await Promise.all([publisher(0), publisher(1), publisher(2), publisher(3)]);
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    sns.destroy();
    sqs.destroy();
    expect(existsSync(seen)).toBe(false);

    const engine = await createEngine({ dataDir, runtime: WRITES_HOST_FILES });
    try {
      const queued = new Set<string>();
      for (;;) {
        const batch = await engine.queues.receive('events-copy', { maxMessages: 10, visibilityTimeout: 300 });
        if (batch.length === 0) break;
        for (const m of batch) queued.add(JSON.parse(m.body).MessageId);
      }
      for (const id of acknowledged) expect(queued.has(id), id).toBe(true);

      engine.functions.putConcurrency('fan-in', null);
      engine.invocations.deliveries.onCapacity();
      const invoked = await eventually(() => {
        const ids = new Set(wholeJsonLines<SNSEvent>(seen).map((event) => event.Records[0]?.Sns.MessageId));
        return [...acknowledged].every((id) => ids.has(id)) ? ids : undefined;
      }, 60_000);
      expect(invoked.size).toBeGreaterThanOrEqual(acknowledged.size);
    } finally {
      await engine.close();
    }
  });
});
