/**
 * Concurrent S3 PUTs while the engine is killed with SIGKILL. After the restart every acknowledged object
 * reads back with its exact bytes; an unacknowledged one is absent or complete, never torn; an overwritten
 * key holds its last acknowledged body or the one in flight after it, never an older one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { it } from 'vitest';
import { clients } from './clients.js';
import { killHard, ROUNDS, runRounds, startRound, startServe, stopServe, type Tally } from './harness.js';

const BUCKET = 'chaos';
const WRITERS = 16;

/** One PutObject as sent: which body, and whether the engine answered 200. */
interface Put {
  md5: string;
  size: number;
  acked: boolean;
}

it(`S3 PutObject: acknowledged bodies survive kill -9 whole (${ROUNDS} rounds)`, async () => {
  await runRounds(async (round) => ({ tally: await runRound(round) }));
}, 600_000);

async function runRound(round: number): Promise<Tally> {
  const { seed, random, killAtMs, dir, serve: first } = await startRound('objects', 100, round, [300, 2_500]);
  let serve = first;
  let aws = clients(serve.url);
  await aws.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));

  // Key → the puts sent to it, in order. `obj/…` keys are written once; `hot/w<n>` is overwritten by writer n alone.
  const puts = new Map<string, Put[]>();
  let killed = false;
  const writer = async (w: number) => {
    for (let n = 0; !killed; n++) {
      const key = random.next() < 0.2 ? `hot/w${w}` : `obj/w${w}-${n}`;
      const body = randomBytes(bodySize(random.next()));
      const put: Put = { md5: createHash('md5').update(body).digest('hex'), size: body.length, acked: false };
      puts.set(key, [...(puts.get(key) ?? []), put]);
      try {
        await aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
        put.acked = true;
      } catch (err) {
        if (!killed) throw err;
      }
    }
  };
  const writers = Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
  await new Promise((resolve) => setTimeout(resolve, killAtMs));
  killed = true;
  const orphans = await killHard(serve);
  await writers;
  aws.destroy();

  serve = await startServe(dir.path);
  aws = clients(serve.url);
  let acknowledged = 0;
  let survived = 0;
  let lost = 0;
  let torn = 0;
  let unackedPresent = 0;
  let unacked = 0;
  for (const [key, sent] of puts) {
    const lastAcked = sent.findLastIndex((p) => p.acked);
    const read = await readObject(aws.s3, key);
    if (read === 'torn') torn++;
    const found = read && read !== 'torn' ? sent.findLastIndex((p) => p.md5 === read.md5 && p.size === read.size) : -1;
    if (read && read !== 'torn' && found === -1) torn++; // bytes nobody sent
    if (lastAcked >= 0) {
      acknowledged++;
      if (found >= lastAcked) survived++;
      else lost++;
    }
    for (const p of sent.slice(lastAcked + 1)) {
      unacked++;
      if (found >= 0 && sent[found] === p) unackedPresent++;
    }
  }
  const listed = await listKeys(aws.s3);
  const unknown = listed.filter((key) => !puts.has(key)).length;
  torn += unknown;
  const bodies = join(dir.path, 'objects', BUCKET, 'data');
  const files = existsSync(bodies)
    ? readdirSync(bodies, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length
    : 0;
  aws.destroy();
  await stopServe(serve);
  if (lost === 0 && torn === 0) dir.remove();
  else process.stdout.write(`objects round ${round}: data dir kept at ${dir.path}\n`);
  return {
    scenario: 'S3 PutObject (200 = acknowledged; key-level, overwrites checked in order)',
    round,
    seed,
    killAtMs,
    acknowledged,
    survived,
    lost,
    duplicates: 0,
    torn,
    orphans,
    note: `${unackedPresent}/${unacked} unacked present whole; ${listed.length} listed, ${files} body files`,
  };
}

/** Mostly small bodies, some up to 1 MiB, a few up to 4 MiB. */
function bodySize(u: number): number {
  if (u < 0.7) return Math.floor((u / 0.7) * 64 * 1024);
  if (u < 0.95) return 64 * 1024 + Math.floor(((u - 0.7) / 0.25) * 960 * 1024);
  return 1024 * 1024 + Math.floor(((u - 0.95) / 0.05) * 3 * 1024 * 1024);
}

/** The object's MD5 and size, null when absent, 'torn' when its bytes disagree with its ETag or length. */
async function readObject(s3: S3Client, key: string): Promise<{ md5: string; size: number } | null | 'torn'> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const bytes = Buffer.from((await out.Body?.transformToByteArray()) ?? []);
    const md5 = createHash('md5').update(bytes).digest('hex');
    if (out.ETag !== `"${md5}"` || out.ContentLength !== bytes.length) return 'torn';
    return { md5, size: bytes.length };
  } catch (err) {
    if ((err as { name?: string }).name === 'NoSuchKey') return null;
    throw err;
  }
}

async function listKeys(s3: S3Client): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }));
    for (const { Key } of page.Contents ?? []) if (Key) keys.push(Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}
