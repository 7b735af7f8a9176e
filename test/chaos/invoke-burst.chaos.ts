/**
 * Async invoke bursts: many parallel InvokeCommand(Event) calls while the engine is killed with SIGKILL.
 * Every event answered 202 must run at least once after the restart (AWS async invocation is
 * at-least-once, so duplicates are allowed and counted). Each run writes its own object to S3 from inside
 * the handler, so runs are counted from the store itself.
 */
import { InvokeCommand, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { it } from 'vitest';
import { clients, deployFixture } from './clients.js';
import {
  invocationErrors,
  killHard,
  ROUNDS,
  runRounds,
  startRound,
  startServe,
  stopServe,
  type Tally,
  waitFor,
} from './harness.js';

const BUCKET = 'chaos';
const SENDERS = 24;
const MAX_EVENTS = 600;
const RESERVED = 4;

it(`async invoke bursts: every 202 runs after kill -9 (${ROUNDS} rounds)`, async () => {
  await runRounds(async (round) => ({ tally: await runRound(round) }));
}, 600_000);

async function runRound(round: number): Promise<Tally> {
  const { seed, random, killAtMs, dir, serve: first } = await startRound('invoke', 0, round, [200, 2_000]);
  let serve = first;
  let aws = clients(serve.url);
  await aws.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await deployFixture(aws.lambda, 'recorder', 'record-run');
  // A small reserved concurrency keeps a backlog queued, so the kill finds events queued and running.
  await aws.lambda.send(
    new PutFunctionConcurrencyCommand({ FunctionName: 'recorder', ReservedConcurrentExecutions: RESERVED }),
  );

  const acknowledged = new Set<string>();
  const unacknowledged = new Set<string>();
  let next = 0;
  let killed = false;
  const sender = async () => {
    while (!killed && next < MAX_EVENTS) {
      const id = `e${String(next++).padStart(5, '0')}`;
      const payload = { id, bucket: BUCKET, workMs: random.int(0, 40) };
      try {
        const out = await aws.lambda.send(
          new InvokeCommand({ FunctionName: 'recorder', InvocationType: 'Event', Payload: JSON.stringify(payload) }),
        );
        if (out.StatusCode === 202) acknowledged.add(id);
        else unacknowledged.add(id);
      } catch (err) {
        if (!killed) throw err;
        unacknowledged.add(id);
      }
    }
  };
  const started = Date.now();
  const senders = Promise.all(Array.from({ length: SENDERS }, sender));
  await new Promise((resolve) => setTimeout(resolve, killAtMs));
  killed = true;
  const orphans = await killHard(serve);
  await senders;
  aws.destroy();
  const sentMs = Date.now() - started;

  serve = await startServe(dir.path);
  aws = clients(serve.url);
  let runs = new Map<string, string[]>();
  const drained = await waitFor(async () => {
    runs = await listRuns(aws.s3);
    if (![...acknowledged].every((id) => runs.has(id))) return false;
    const state = (await (await fetch(`${serve.url}/_lambdata/concurrency?function=recorder`)).json()) as {
      queueDepth: number;
      inUse: number;
    };
    return state.queueDepth === 0 && state.inUse === 0;
  }, 120_000);
  runs = await listRuns(aws.s3);

  let torn = 0;
  for (const [id, keys] of runs) {
    for (const key of keys) {
      const body = await (
        await aws.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
      ).Body?.transformToString();
      const parsed = JSON.parse(body ?? 'null') as { id?: string } | null;
      if (parsed?.id !== id) torn++;
    }
  }
  const survived = [...acknowledged].filter((id) => runs.has(id)).length;
  const duplicates = [...acknowledged].reduce((sum, id) => sum + Math.max(0, (runs.get(id)?.length ?? 0) - 1), 0);
  const unackedRan = [...unacknowledged].filter((id) => runs.has(id)).length;
  const errors = await invocationErrors(serve.url, 'recorder');
  aws.destroy();
  await stopServe(serve);
  const lost = acknowledged.size - survived;
  if (lost === 0 && torn === 0) dir.remove();
  else process.stdout.write(`invoke round ${round}: data dir kept at ${dir.path}\n`);
  return {
    scenario: 'async invoke burst (Event, 202 = acknowledged; at-least-once)',
    round,
    seed,
    killAtMs,
    acknowledged: acknowledged.size,
    survived,
    lost,
    duplicates,
    torn,
    orphans,
    note: `${unackedRan}/${unacknowledged.size} unacked ran; ${drained ? 'drained' : 'NOT drained in 120 s'}; sent for ${sentMs} ms; function errors: ${errors}`,
  };
}

/** Every run object, grouped by event id. */
async function listRuns(s3: S3Client): Promise<Map<string, string[]>> {
  const runs = new Map<string, string[]>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'runs/', ContinuationToken: token }));
    for (const { Key } of page.Contents ?? []) {
      const id = Key?.split('/')[1];
      if (Key && id) runs.set(id, [...(runs.get(id) ?? []), Key]);
    }
    token = page.NextContinuationToken;
  } while (token);
  return runs;
}
