/**
 * `lambdata serve` keeps its event loop above its environments' CPU priority (issue 17, "Under a
 * burst"): the loop thread is raised 5 niceness steps where the process may (these tests run as
 * root), the launcher returns to the starting niceness, and a function runs niced below that. Where
 * cgroup v1's cpu controller is writable the loop thread also gets a cpu group weighing more than all
 * environments' (niceness counts only inside an autogroup), the launcher and functions stay out of it,
 * and it does not outlive serve. The health answer reports how late the event loop ran.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
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

/** The cpu group (cgroup v1) of one thread, or undefined where there is no cpu controller. */
function cpuGroupOf(pid: number, tid = pid): string | undefined {
  const line = readFileSync(`/proc/${pid}/task/${tid}/cgroup`, 'latin1')
    .split('\n')
    .find((entry) => entry.split(':')[1]?.split(',').includes('cpu'));
  return line?.split(':')[2];
}

function cpuShares(group: string): number {
  return Number(readFileSync(`/sys/fs/cgroup/cpu${group}/cpu.shares`, 'latin1'));
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

  it('puts its loop thread alone in a cpu group that outweighs every environment, and removes it at stop', async (ctx) => {
    const started = cpuGroupOf(process.pid);
    if (started === undefined || !existsSync(`/sys/fs/cgroup/cpu${started}/cgroup.procs`)) ctx.skip();
    serve = await startServe('priority-group');
    const serving = serve;
    expect(await functionNice(serving)).toBe(Math.min(19, BASE + 10));
    const loop = cpuGroupOf(serving.pid) as string;
    expect(loop).toMatch(new RegExp(`/lambdata-${serving.pid}-[0-9a-f]+$`));
    // The loop thread is in it; the launcher, which starts every environment, went back where serve started.
    const tasks = readFileSync(`/sys/fs/cgroup/cpu${loop}/tasks`, 'latin1').trim().split('\n');
    expect(tasks).toContain(String(serving.pid));
    const [launcher] = childrenRunning(serving.pid, 'runtime/launcher.js');
    expect(cpuGroupOf(launcher as number)).toBe(started);
    expect(tasks).not.toContain(String(launcher));
    // Beside it, the engine's environments group, holding the group of the environment that just ran.
    const base = started === '/' ? '' : (started as string);
    const parent = `/sys/fs/cgroup/cpu${base}`;
    const engineGroups = readdirSync(parent).filter((name) => name.startsWith(`lambdata-${serving.pid}-`));
    expect(engineGroups).toHaveLength(2);
    const envGroup = `${base}/${engineGroups.find((name) => !loop.endsWith(`/${name}`))}`;
    const environments = readdirSync(`/sys/fs/cgroup/cpu${envGroup}`, { withFileTypes: true });
    expect(environments.some((entry) => entry.isDirectory())).toBe(true);
    expect(cpuShares(loop)).toBeGreaterThan(cpuShares(envGroup));

    // Gone once serve stopped: at its close, or (a process still exiting keeps a group busy) swept by the next engine.
    await serving.close();
    serve = await startServe('priority-group-next');
    expect(readdirSync(parent).filter((name) => name.startsWith(`lambdata-${serving.pid}-`))).toEqual([]);
  });

  it('raises its loop thread without a cpu group of its own with LAMBDATA_SERVER_CPU_GROUP=0', async () => {
    serve = await startServe('priority-no-group', { env: { LAMBDATA_SERVER_CPU_GROUP: '0' } });
    expect(niceOf(serve.pid)).toBe(Math.max(-20, BASE - 5));
    expect(cpuGroupOf(serve.pid)).toBe(cpuGroupOf(process.pid));
    expect(await functionNice(serve)).toBe(Math.min(19, BASE + 10));
  });

  it('stays at its starting niceness with LAMBDATA_RAISE_PRIORITY=0', async () => {
    serve = await startServe('priority-off', { env: { LAMBDATA_RAISE_PRIORITY: '0' } });
    expect(niceOf(serve.pid)).toBe(BASE);
    expect(cpuGroupOf(serve.pid)).toBe(cpuGroupOf(process.pid));
    expect(await functionNice(serve)).toBe(Math.min(19, BASE + 10));
  });
});
