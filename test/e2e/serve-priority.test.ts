/**
 * `lambdata serve` keeps its event loop above its environments' CPU priority (issue 17, "Under a
 * burst"): the loop thread is raised 5 niceness steps where the process may (these tests run as
 * root), the launcher returns to the starting niceness, and a function runs niced below that. The
 * health answer reports how late the event loop ran.
 */
import { readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';
import { afterEach, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const ROLE = 'arn:aws:iam::000000000000:role/test-role';
const HANDLER =
  "import { getPriority } from 'node:os';\nexport const handler = async () => ({ nice: getPriority() });\n";
/** What the tests start from: the runner's own niceness. */
const BASE = getPriority();

/** Niceness of one thread, field 19 of /proc/<pid>/task/<tid>/stat. */
function niceOf(pid: number, tid = pid): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** The PIDs of a process's children whose command line mentions `marker`. */
function childrenRunning(pid: number, marker: string): number[] {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(' ').filter(Boolean);
  return children.map(Number).filter((child) => readFileSync(`/proc/${child}/cmdline`, 'latin1').includes(marker));
}

async function functionNice(serve: ServeProcess): Promise<number> {
  const lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: serve.url });
  try {
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'nice',
        Runtime: 'nodejs20.x',
        Role: ROLE,
        Handler: 'index.handler',
        Code: { ZipFile: Buffer.from(zipSync({ 'index.mjs': Buffer.from(HANDLER) })) },
      }),
    );
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'nice', Payload: Buffer.from('{}') }));
    expect(out.FunctionError).toBeUndefined();
    return (JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8')) as { nice: number }).nice;
  } finally {
    lambda.destroy();
  }
}

describe('serve: the event loop runs above its environments', () => {
  let serve: ServeProcess | undefined;
  afterEach(async () => {
    await serve?.close();
    serve = undefined;
  });

  it('raises its loop thread, puts the launcher back and runs functions niced below the start', async () => {
    serve = await startServe('priority');
    expect(niceOf(serve.pid)).toBe(Math.max(-20, BASE - 5));
    expect(await functionNice(serve)).toBe(Math.min(19, BASE + 10));
    const launchers = childrenRunning(serve.pid, 'runtime/launcher.js');
    expect(launchers).toHaveLength(1);
    expect(niceOf(launchers[0] as number)).toBe(BASE);

    const health = (await (await fetch(`${serve.url}/_lambdata/health`)).json()) as {
      eventLoopDelayMs: { p50: number; p99: number; max: number; windowMs: number };
    };
    const { p50, p99, max } = health.eventLoopDelayMs;
    expect(p50).toBeGreaterThanOrEqual(0);
    expect(p99).toBeGreaterThanOrEqual(p50);
    expect(max).toBeGreaterThanOrEqual(p99);
    expect(health.eventLoopDelayMs.windowMs).toBe(10_000);
  });

  it('stays at its starting niceness with LAMBDATA_RAISE_PRIORITY=0', async () => {
    serve = await startServe('priority-off', { env: { LAMBDATA_RAISE_PRIORITY: '0' } });
    expect(niceOf(serve.pid)).toBe(BASE);
    expect(await functionNice(serve)).toBe(Math.min(19, BASE + 10));
  });
});
