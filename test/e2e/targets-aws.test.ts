/**
 * The AWS target path — SDK clients, retries, packaging, Tail-log REPORT parsing, cost — against a
 * second `lambdata serve` standing in for AWS (own data dir, port and credentials), with Lambda 429s
 * and S3 503 SlowDown injected there (LAMBDATA_FAULTS). The coordinator is a first `lambdata serve`
 * reached through the CLI, as a user does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvocationsAnswer, JobRecord, RemoteFunction } from '../../src/api/native/contract.js';
import { generateText } from '../../src/jobs/index.js';
import { refCounts } from '../fixtures/jobs/reference.js';
import { runLambdata } from '../helpers/cli.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const STANDIN_KEYS = { accessKeyId: 'standin-key', secretAccessKey: 'standin-secret' };
const ROLE = 'arn:aws:iam::123456789012:role/lambdata-jobs';
const BUCKET = 'corpus';
const HELLO_DIR = fileURLToPath(new URL('../../functions/hello/', import.meta.url));
const SLOW_DIR = fileURLToPath(new URL('../fixtures/jobs/slow-first/', import.meta.url));

let standin: ServeProcess;
let coordinator: ServeProcess;
let awsDir: string;
let coordinatorEnv: Record<string, string>;
const standinLog: string[] = [];
const inputs = new Map<string, Buffer>();

function s3(url: string, credentials = { accessKeyId: 'test', secretAccessKey: 'test' }): S3Client {
  return new S3Client({ region: 'us-east-1', endpoint: url, forcePathStyle: true, credentials });
}

async function seed(client: S3Client): Promise<void> {
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  for (const [key, body] of inputs) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

async function cli(...args: string[]) {
  return runLambdata(coordinator.url, ...args);
}

async function runJson(...args: string[]): Promise<JobRecord> {
  const r = await cli('run', ...args, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as JobRecord;
}

/** An event of a job, as the coordinator replays it once the job has ended. */
interface ReplayedEvent {
  type: string;
  taskId?: string;
  resumed?: boolean;
}

/** The job's events, replayed by the coordinator once the job has ended. */
async function jobEvents(id: string): Promise<ReplayedEvent[]> {
  const text = await (await fetch(`${coordinator.url}/_lambdata/jobs/${id}/events`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)));
}

/**
 * The job's record once its cost report is final: invocations still running at its end (a straggler's
 * twin, when the scheduler backed one up on a slow machine) are billed by the target when they end,
 * and the report takes them in then (`pending` until then).
 */
async function withFinalCost(id: string): Promise<JobRecord> {
  for (let i = 0; ; i++) {
    const job = (await (await fetch(`${coordinator.url}/_lambdata/jobs/${id}`)).json()) as JobRecord;
    if (!job.cost?.pending || i >= 1200) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  for (let i = 0; i < 12; i++)
    inputs.set(`in/part-${i}.txt`, generateText({ seed: 40 + i, bytes: 60_000 + i * 7_919 }));
  inputs.set('in/big.txt', generateText({ seed: 99, bytes: 900_000 }));
  // The stand-in throttles every 4th Invoke (coordinator → cascade, cascade → mappers) and answers 503
  // SlowDown to every 2nd ListObjectsV2 and HeadObject.
  standin = await startServe('target-standin', {
    args: ['--access-key', STANDIN_KEYS.accessKeyId, '--secret-key', STANDIN_KEYS.secretAccessKey],
    env: { LAMBDATA_FAULTS: 'invoke=429/2,list=503/2,head=503/2', LAMBDATA_LOG: 'warn' },
    onStderr: (line) => standinLog.push(line),
  });
  // The coordinator's AWS chain: a shared credentials file with the stand-in's keys, a wrong pair, no more.
  awsDir = mkdtempSync(join(tmpdir(), 'lambdata-target-aws-'));
  writeFileSync(
    join(awsDir, 'credentials'),
    `[standin]\naws_access_key_id = ${STANDIN_KEYS.accessKeyId}\naws_secret_access_key = ${STANDIN_KEYS.secretAccessKey}\n` +
      '[wrongkeys]\naws_access_key_id = standin-key\naws_secret_access_key = not-the-secret\n',
  );
  writeFileSync(join(awsDir, 'config'), '');
  coordinatorEnv = {
    AWS_SHARED_CREDENTIALS_FILE: join(awsDir, 'credentials'),
    AWS_CONFIG_FILE: join(awsDir, 'config'),
    HOME: awsDir,
  };
  coordinator = await startServe('target-coordinator', { env: coordinatorEnv });
  await seed(s3(coordinator.url));
  await seed(s3(standin.url, STANDIN_KEYS));
  const added = await cli(
    'targets',
    'add',
    'standin',
    '--region',
    'us-east-1',
    '--profile',
    'standin',
    '--endpoint',
    standin.url,
    '--role-arn',
    ROLE,
  );
  expect(added.stderr).toBe('');
  expect(added.code).toBe(0);
}, 120_000);

afterAll(async () => {
  await coordinator?.close();
  await standin?.close();
  if (awsDir) rmSync(awsDir, { recursive: true, force: true });
});

describe('a job on an AWS target (a second server standing in for AWS)', () => {
  it('counts the same words as the local run, billed from the stand-in’s REPORT lines, through injected 429s and 503s', async () => {
    const local = await runJson('wordcount', `s3://${BUCKET}/in/`, '--split', '256KB');
    const remote = await runJson('wordcount', `s3://${BUCKET}/in/`, '--split', '256KB', '--target', 'standin');
    expect(local.status).toBe('succeeded');
    expect(remote.status).toBe('succeeded');
    expect(remote.spec.target).toBe('standin');

    const expected = { words: 0, lines: 0, bytes: 0 };
    for (const body of inputs.values()) {
      const c = refCounts(body);
      expected.words += c.words;
      expected.lines += c.lines;
      expected.bytes += c.bytes;
    }
    expect(remote.result?.totals).toEqual(expected);
    expect(remote.result?.totals).toEqual(local.result?.totals);
    expect(remote.result?.top).toEqual(local.result?.top);
    expect(remote.result?.distinctWords).toBe(local.result?.distinctWords);

    // Every invocation the stand-in ran (the cascades and the mappers it fanned out to) is billed to the
    // job with the stand-in's own billed duration and memory, and nothing else is.
    // (read once the report is final: the target bills a straggler's twin when it ends).
    const final = await withFinalCost(remote.id);
    const res = await fetch(`${standin.url}/_lambdata/invocations?limit=1000`);
    const { invocations } = (await res.json()) as InvocationsAnswer;
    const ran = invocations.filter((i) => i.functionName === 'cascade' || i.functionName === 'wordcount');
    expect(ran.length).toBeGreaterThan(1);
    expect(final.cost?.pending).toBeUndefined();
    expect(final.cost?.invocations).toBe(ran.length);
    expect(final.cost?.billedMs).toBe(ran.reduce((s, i) => s + i.billedDurationMs, 0));
    const gbSeconds = ran.reduce((s, i) => s + (i.billedDurationMs / 1000) * (i.memorySizeMb / 1024), 0);
    expect(final.cost?.gbSeconds).toBeCloseTo(gbSeconds, 5);
    // AWS's x86 price in us-east-1: $0.0000166667 per GB-s and $0.20 per million requests.
    expect(final.cost?.lambdaUsd).toBeCloseTo(gbSeconds * 0.0000166667 + ran.length * 0.2e-6, 8);

    // The faults were injected, and retried: the job still succeeded with exact figures.
    const injected = (op: string) =>
      standinLog.filter((l) => l.includes('fault injected') && l.includes(`"op":"${op}"`));
    expect(injected('invoke').length).toBeGreaterThan(0);
    expect(injected('list').length).toBeGreaterThan(0);
  }, 240_000);

  it('runs a shuffle (wordfreq with the built-in reducer) on the target with the local run’s answer', async () => {
    const local = await runJson('wordfreq', `s3://${BUCKET}/in/`, '--partitions', '2');
    const remote = await runJson('wordfreq', `s3://${BUCKET}/in/`, '--partitions', '2', '--target', 'standin');
    expect(remote.status).toBe('succeeded');
    expect(remote.result?.top).toEqual(local.result?.top);
    expect(remote.result?.distinctWords).toBe(local.result?.distinctWords);
    // The reduce outputs were written to the target's store, not the coordinator's.
    const onTarget = await s3(standin.url, STANDIN_KEYS).send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `_jobs/${remote.id}/out/` }),
    );
    expect(onTarget.KeyCount).toBe(2);
    const onCoordinator = await s3(coordinator.url).send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `_jobs/${remote.id}/` }),
    );
    expect(onCoordinator.KeyCount ?? 0).toBe(0);
  }, 240_000);

  it('answers results over the 6 MB response limit through S3, locally and on the target (grep with long matching lines)', async () => {
    // One object whose task answers ~8 MB of matches (the mapper stores it), and two whose ~3.6 MB answers
    // fit alone but not together in one cascade's answer (the cascade stores the larger).
    const line = (i: number) => `${i} ${'lorem ipsum dolor sit amet '.repeat(30)}\n`;
    const body = (lines: number, from: number) =>
      Buffer.from(Array.from({ length: lines }, (_, i) => line(from + i)).join(''));
    const large = new Map([
      ['large/big.txt', body(10_400, 0)],
      ['large/mid-a.txt', body(4_400, 20_000)],
      ['large/mid-b.txt', body(4_400, 30_000)],
    ]);
    const submit = async (url: string, target?: string) => {
      const res = await fetch(`${url}/_lambdata/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          mapper: 'grep',
          params: { pattern: 'amet' },
          input: { bucket: BUCKET, prefix: 'large/' },
          splitSize: 16 * 1024 * 1024,
          taskSize: 4 * 1024 * 1024,
          ...(target ? { target } : {}),
        }),
      });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as JobRecord;
      let job = (await (await fetch(`${url}/_lambdata/jobs/${id}`)).json()) as JobRecord;
      for (let i = 0; i < 1800 && job.status === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        job = (await (await fetch(`${url}/_lambdata/jobs/${id}`)).json()) as JobRecord;
      }
      return job;
    };
    for (const client of [s3(coordinator.url), s3(standin.url, STANDIN_KEYS)]) {
      for (const [key, data] of large)
        await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: data }));
    }
    const local = await submit(coordinator.url);
    const remote = await submit(coordinator.url, 'standin');
    expect(local.error).toBeNull();
    expect(local.status).toBe('succeeded');
    expect(remote.status).toBe('succeeded');
    // Every line matches; grep keeps at most 10,000 matches per task.
    const expected = 10_000 + 4_400 + 4_400;
    expect(local.result?.matches?.length).toBe(expected);
    expect(remote.result?.matches).toEqual(local.result?.matches);
    expect(remote.result?.matches?.at(-1)).toEqual({
      key: 'large/mid-b.txt',
      line: 4_400,
      text: line(34_399).slice(0, -1),
    });

    // The results were stored under each job's own output prefix, on the store where its tasks ran (over
    // 6 MB, no answer could carry them), and went with the job's other intermediates when it ended.
    const stored = async (client: S3Client, id: string) =>
      (await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `_jobs/${id}/` }))).Contents ?? [];
    for (const [client, job] of [
      [s3(coordinator.url), local],
      [s3(standin.url, STANDIN_KEYS), remote],
    ] as const) {
      expect(await stored(client, job.id)).toEqual([]);
    }
    // Job outputs never become input: a job over the whole bucket lists only the seeded objects.
    const whole = await runJson('wordcount', `s3://${BUCKET}/`, '--target', 'standin');
    expect(whole.status).toBe('succeeded');
    expect(whole.counters.keysTotal).toBe(inputs.size + large.size);
  }, 300_000);

  it('prices a failed child invocation on the target from its REPORT line, as AWS bills failures', async () => {
    const since = Date.now();
    const res = await fetch(`${coordinator.url}/_lambdata/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // Each task's first attempt throws; the retry succeeds.
      body: JSON.stringify({
        mapper: 'wordcount',
        input: { bucket: BUCKET, prefix: 'in/' },
        failAttempts: 1,
        target: 'standin',
      }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as JobRecord;
    let job = (await (await fetch(`${coordinator.url}/_lambdata/jobs/${id}`)).json()) as JobRecord;
    for (let i = 0; i < 1200 && job.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = (await (await fetch(`${coordinator.url}/_lambdata/jobs/${id}`)).json()) as JobRecord;
    }
    expect(job.status).toBe('succeeded');
    job = await withFinalCost(id);
    const { invocations } = (await (
      await fetch(`${standin.url}/_lambdata/invocations?limit=1000`)
    ).json()) as InvocationsAnswer;
    const ran = invocations.filter(
      (i) => i.startedAt >= since && (i.functionName === 'cascade' || i.functionName === 'wordcount'),
    );
    const failed = ran.filter((i) => i.outcome !== 'success');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((i) => i.functionName === 'wordcount' && i.billedDurationMs > 0)).toBe(true);
    // The failures are in the job's bill, with the stand-in's own billed durations, and counted apart
    // (every one of them: a backup's twin still running at the job's end is counted when it ends).
    expect(job.cost?.pending).toBeUndefined();
    expect(job.cost?.invocations).toBe(ran.length);
    expect(job.cost?.billedMs).toBe(ran.reduce((s, i) => s + i.billedDurationMs, 0));
    expect(job.cost?.failures?.invocations).toBe(failed.length);
    expect(job.cost?.failures?.billedMs).toBe(failed.reduce((s, i) => s + i.billedDurationMs, 0));
    const gbSeconds = failed.reduce((s, i) => s + (i.billedDurationMs / 1000) * (i.memorySizeMb / 1024), 0);
    expect(job.cost?.failures?.usd).toBeCloseTo(gbSeconds * 0.0000166667 + failed.length * 0.2e-6, 8);
    const shown = await cli('jobs', 'show', id);
    expect(shown.stdout).toMatch(
      new RegExp(`failed, billed +${failed.length} invocations, ${job.cost?.failures?.billedMs} ms`),
    );
  }, 240_000);

  it('resumes on the target after the coordinator is killed, without recounting committed tasks', async () => {
    const submitted = await fetch(`${coordinator.url}/_lambdata/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        mapper: 'wordcount',
        input: { bucket: BUCKET, prefix: 'in/' },
        // About 14 tasks of one split, two at a time, each paced to take over a second: the crash lands mid-job.
        splitSize: 128 * 1024,
        taskSize: 128 * 1024,
        concurrency: 4,
        fanout: 1,
        pace: { chunkBytes: 32 * 1024, delayMs: 300 },
        target: 'standin',
      }),
    });
    expect(submitted.status).toBe(201);
    const { id } = (await submitted.json()) as JobRecord;
    const job = async () => (await (await fetch(`${coordinator.url}/_lambdata/jobs/${id}`)).json()) as JobRecord;
    let before = await job();
    for (let i = 0; i < 600 && before.counters.tasksDone < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      before = await job();
    }
    expect(before.status).toBe('running');
    expect(before.counters.tasksDone).toBeGreaterThanOrEqual(2);
    await coordinator.crash();
    coordinator = await startServe('target-coordinator', { env: coordinatorEnv, dir: coordinator.dir });
    let after = await job();
    for (let i = 0; i < 1200 && after.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = await job();
    }
    expect(after.status).toBe('succeeded');
    const expected = { words: 0, lines: 0, bytes: 0 };
    for (const body of inputs.values()) {
      const c = refCounts(body);
      expected.words += c.words;
      expected.lines += c.lines;
      expected.bytes += c.bytes;
    }
    expect(after.result?.totals).toEqual(expected);
    // The resumed run dispatched none of the tasks committed before the crash.
    const events = await jobEvents(id);
    const resumedAt = events.findIndex((e) => e.type === 'job.started' && e.resumed === true);
    expect(resumedAt).toBeGreaterThan(0);
    const committed = new Set(events.slice(0, resumedAt).flatMap((e) => (e.type === 'task.done' ? [e.taskId] : [])));
    expect(committed.size).toBeGreaterThanOrEqual(2);
    const rerun = events.slice(resumedAt).filter((e) => e.type === 'task.dispatched' && committed.has(e.taskId));
    expect(rerun).toEqual([]);
  }, 240_000);

  it('counts a straggler’s twin that outlives the job on the target once it ends, from the stand-in’s REPORT lines', async () => {
    const deployed = await cli(
      'deploy',
      'slow-first',
      SLOW_DIR,
      '--handler',
      'index.handler',
      '--timeout',
      '60',
      '--target',
      'standin',
    );
    expect(deployed.stderr).toBe('');
    const client = s3(standin.url, STANDIN_KEYS);
    for (const name of ['a.txt', 'b.txt', 'c.txt', 'slow.txt'])
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `late/${name}`, Body: `words of ${name}\n` }));
    const since = Date.now();
    const res = await fetch(`${coordinator.url}/_lambdata/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // One object per task, one task per cascade; the first attempt at slow.txt sleeps 8 s, so it is backed up.
      body: JSON.stringify({
        mapper: 'slow-first',
        input: { bucket: BUCKET, prefix: 'late/' },
        fanout: 1,
        taskSize: 1,
        params: { slowMs: 8000 },
        target: 'standin',
      }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as JobRecord;
    let job = (await (await fetch(`${coordinator.url}/_lambdata/jobs/${id}`)).json()) as JobRecord;
    for (let i = 0; i < 1200 && job.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = (await (await fetch(`${coordinator.url}/_lambdata/jobs/${id}`)).json()) as JobRecord;
    }
    expect(job.status).toBe('succeeded');
    expect(job.cost?.pending).toBe(1);
    const final = await withFinalCost(id);
    expect(final.cost?.pending).toBeUndefined();
    const { invocations } = (await (
      await fetch(`${standin.url}/_lambdata/invocations?limit=1000`)
    ).json()) as InvocationsAnswer;
    const ran = invocations.filter(
      (i) => i.startedAt >= since && (i.functionName === 'cascade' || i.functionName === 'slow-first'),
    );
    expect(ran.filter((i) => i.functionName === 'slow-first').length).toBeGreaterThanOrEqual(5);
    expect(final.cost?.invocations).toBe(ran.length);
    expect(final.cost?.billedMs).toBe(ran.reduce((s, i) => s + i.billedDurationMs, 0));
    expect(final.cost?.billedMs).toBeGreaterThan((job.cost?.billedMs ?? 0) + 5000);
  }, 120_000);

  it('deploys a function to the target, creates then updates it, and it runs there', async () => {
    const created = await cli(
      'deploy',
      'hello',
      HELLO_DIR,
      '--handler',
      'index.handler',
      '--target',
      'standin',
      '--json',
    );
    expect(created.stderr).toBe('');
    const fn = JSON.parse(created.stdout) as RemoteFunction;
    expect(fn).toMatchObject({
      target: 'standin',
      name: 'hello',
      state: 'Active',
      lastUpdateStatus: 'Successful',
      created: true,
    });
    const again = await cli(
      'deploy',
      'hello',
      HELLO_DIR,
      '--handler',
      'index.handler',
      '--target',
      'standin',
      '--memory',
      '256',
      '--json',
    );
    expect(JSON.parse(again.stdout)).toMatchObject({ created: false, state: 'Active' });
    // The function is on the stand-in, not on the coordinator.
    const lambda = new LambdaClient({ region: 'us-east-1', endpoint: standin.url, credentials: STANDIN_KEYS });
    const answer = await lambda.send(
      new InvokeCommand({ FunctionName: 'hello', Payload: Buffer.from('{"name":"target"}') }),
    );
    expect(answer.FunctionError).toBeUndefined();
    const local = await cli('functions', 'hello');
    expect(local.code).not.toBe(0);
  }, 120_000);

  it('deploys a SAM template’s functions to the target (and refuses a template with resources, deploying nothing)', async () => {
    const template = fileURLToPath(new URL('../fixtures/templates/target-functions/template.yaml', import.meta.url));
    const deployed = await cli(
      'deploy',
      '--template',
      template,
      '--stack-name',
      'tgt',
      '--parameter-overrides',
      'Greeting=hi',
      '--target',
      'standin',
      '--json',
    );
    expect(deployed.stderr).toBe('');
    expect(deployed.code).toBe(0);
    const answer = JSON.parse(deployed.stdout) as { target: string; functions: RemoteFunction[] };
    expect(answer.target).toBe('standin');
    expect(answer.functions.map((f) => [f.name, f.state])).toEqual([
      ['tgt-greet', 'Active'],
      ['tgt-EchoFunction', 'Active'],
    ]);
    const lambda = new LambdaClient({ region: 'us-east-1', endpoint: standin.url, credentials: STANDIN_KEYS });
    const greet = await lambda.send(
      new InvokeCommand({ FunctionName: 'tgt-greet', Payload: Buffer.from('{"name":"target"}') }),
    );
    expect(JSON.parse(Buffer.from(greet.Payload ?? []).toString())).toEqual({
      message: 'hi, target',
      region: 'us-east-1',
      memory: '256',
    });
    // Redeploying updates in place.
    const again = await cli('deploy', '--template', template, '--stack-name', 'tgt', '--target', 'standin');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/updated +function +tgt-greet +Active/);
    // Nothing of it is on the coordinator, no stack there either.
    expect((await cli('functions', 'tgt-greet')).code).not.toBe(0);
    expect((await cli('stacks', 'show', 'tgt')).code).not.toBe(0);

    const thumbnail = fileURLToPath(new URL('../fixtures/templates/thumbnail/template.yaml', import.meta.url));
    const refused = await cli('deploy', '--template', thumbnail, '--stack-name', 'thumbs', '--target', 'standin');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('only functions go to a target');
    expect(refused.stderr).toContain('bucket thumbs-uploads-dev');
    expect(refused.stderr).toMatch(/S3 event thumbs-uploads-dev → /);
    expect(refused.stderr).toContain('Nothing was deployed');
    const functions = await lambda.send(new ListFunctionsCommand({}));
    expect(functions.Functions?.some((f) => f.FunctionName?.startsWith('thumbs'))).toBe(false);

    const unknown = await cli('deploy', '--template', template, '--target', 'nosuch');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('lambdata targets add nosuch');
  }, 180_000);

  it('answers bad targets and bad credentials with what to do', async () => {
    const unknown = await cli('run', 'wordcount', `s3://${BUCKET}/in/`, '--target', 'nosuch');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('ResourceNotFoundException');
    expect(unknown.stderr).toContain('lambdata targets add nosuch');

    const badRegion = await cli('targets', 'add', 'x', '--region', 'moon-1');
    expect(badRegion.code).toBe(1);
    expect(badRegion.stderr).toContain('--region');

    await cli(
      'targets',
      'add',
      'wrongkeys',
      '--region',
      'us-east-1',
      '--profile',
      'wrongkeys',
      '--endpoint',
      standin.url,
    );
    const denied = await cli('run', 'wordcount', `s3://${BUCKET}/in/`, '--target', 'wrongkeys');
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('AccessDeniedException');
    expect(denied.stderr).toContain('target wrongkeys');
    expect(denied.stderr).toContain(`s3://${BUCKET}/in/`);

    await cli('targets', 'add', 'nokeys', '--region', 'us-east-1', '--profile', 'absent', '--endpoint', standin.url);
    const missing = await cli('run', 'wordcount', `s3://${BUCKET}/in/`, '--target', 'nokeys');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('CredentialsProviderError');
    expect(missing.stderr).toContain('--profile');

    const norole = await cli('deploy', 'hello2', HELLO_DIR, '--handler', 'index.handler', '--target', 'wrongkeys');
    expect(norole.code).toBe(1);

    const listed = await cli('targets', 'ls', '--json');
    const names = (JSON.parse(listed.stdout) as Array<{ name: string }>).map((t) => t.name);
    expect(names).toEqual(['nokeys', 'standin', 'wrongkeys']);
  }, 120_000);
});
