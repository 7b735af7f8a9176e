import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, FIXTURES, fn, invoke, taskRoot } from '../fixtures/runtime/harness.js';

const CJS = join(FIXTURES, 'cjs');
const BROKEN = join(FIXTURES, 'broken');

describe('runtime: handler styles, context, errors', () => {
  let harness: ReturnType<typeof createPool>;
  beforeAll(() => {
    harness = createPool({ prestart: 2 });
  });
  afterAll(() => harness.close());

  it('runs an async ESM handler and returns its JSON result', async () => {
    const result = await invoke(harness.pool, fn('index.echo'), { a: [1, 'two'] });
    expect(result.outcome).toBe('success');
    expect(result.body).toEqual({ a: [1, 'two'] });
    expect(result.coldStart).toBe(true);
  });

  it('runs CommonJS callback and legacy context.succeed/fail/done handlers', async () => {
    const callback = await invoke(harness.pool, fn('index.callback', { codeDir: CJS }), { n: 21 });
    expect(callback.body).toEqual({ doubled: 42 });
    const succeed = await invoke(harness.pool, fn('index.succeed', { codeDir: CJS }), { n: 7 });
    expect(succeed.body).toEqual({ legacy: 7 });
    const done = await invoke(harness.pool, fn('index.done', { codeDir: CJS }));
    expect(done.body).toBe('done ok');
    const fail = await invoke(harness.pool, fn('index.fail', { codeDir: CJS }));
    expect(fail.outcome).toBe('handled');
    expect(fail.error).toMatchObject({ errorType: 'Error', errorMessage: 'legacy failure' });
    const cbError = await invoke(harness.pool, fn('index.callbackError', { codeDir: CJS }));
    expect(cbError.outcome).toBe('handled');
    expect(cbError.error?.errorMessage).toBe('callback failed');
  });

  it('gives the handler an AWS context and runs it in its code dir', async () => {
    const version = fn('index.context', { memoryMb: 256, timeoutS: 7 });
    const result = await invoke(harness.pool, version, {}, 'req-context-1');
    expect(result.body).toMatchObject({
      awsRequestId: 'req-context-1',
      functionName: version.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: version.arn,
      memoryLimitInMB: '256',
      logGroupName: `/aws/lambda/${version.name}`,
      callbackWaitsForEmptyEventLoop: true,
      cwd: taskRoot(harness.pool, version),
    });
    expect(result.body.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(result.body.remaining).toBeGreaterThan(6000);
    expect(result.body.remaining).toBeLessThanOrEqual(7000);
  });

  it('reports thrown errors and rejections as handled, with name, message and stack', async () => {
    const thrown = await invoke(harness.pool, fn('index.throws'));
    expect(thrown.outcome).toBe('handled');
    expect(thrown.error).toMatchObject({ errorType: 'ValidationError', errorMessage: 'bad input' });
    expect(thrown.error?.stackTrace?.[0]).toBe('ValidationError: bad input');
    expect(thrown.lines.some((line) => line.includes('\tERROR\tInvoke Error \t{"errorType":"ValidationError"'))).toBe(
      true,
    );
    const rejected = await invoke(harness.pool, fn('index.rejects'));
    expect(rejected.outcome).toBe('handled');
    expect(rejected.error).toMatchObject({ errorType: 'TypeError', errorMessage: 'nope' });
  });

  it('reports a missing file, a missing export, a syntax error and a throwing init as unhandled', async () => {
    const missingFile = await invoke(harness.pool, fn('nothere.handler', { codeDir: BROKEN }));
    expect(missingFile).toMatchObject({ outcome: 'unhandled', error: { errorType: 'Runtime.ImportModuleError' } });
    const missingDependency = await invoke(harness.pool, fn('missingdep.handler', { codeDir: BROKEN }));
    expect(missingDependency).toMatchObject({
      outcome: 'unhandled',
      error: { errorType: 'Runtime.ImportModuleError' },
    });
    expect(missingDependency.error?.errorMessage).toContain('lambdata-no-such-package');
    const missingExport = await invoke(harness.pool, fn('ok.handler', { codeDir: BROKEN }));
    expect(missingExport).toMatchObject({ outcome: 'unhandled', error: { errorType: 'Runtime.HandlerNotFound' } });
    const initThrows = await invoke(harness.pool, fn('throws.handler', { codeDir: BROKEN }));
    expect(initThrows).toMatchObject({
      outcome: 'unhandled',
      error: { errorType: 'Error', errorMessage: 'init exploded' },
    });
    expect(initThrows.initDurationMs).toBeGreaterThan(0);
    const { chmodSync, mkdtempSync, writeFileSync } = await import('node:fs');
    const dir = mkdtempSync(join(harness.dataDir, 'code-'));
    chmodSync(dir, 0o755); // readable by the function's own user, as a deployed package is
    writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => {;\n');
    const syntax = await invoke(harness.pool, fn('index.handler', { codeDir: dir }));
    expect(syntax).toMatchObject({ outcome: 'unhandled', error: { errorType: 'Runtime.UserCodeSyntaxError' } });
  });

  it('rejects oversized and unserialisable results as unhandled, and the environment keeps serving', async () => {
    const version = fn('index.big');
    const big = await invoke(harness.pool, version);
    expect(big.outcome).toBe('unhandled');
    expect(big.error?.errorType).toBe('Function.ResponseSizeTooLarge');
    const circular = await invoke(harness.pool, fn('index.circular'));
    expect(circular.outcome).toBe('unhandled');
    expect(circular.error?.errorType).toBe('Runtime.MalformedHandlerResponse');
  });

  it('turns process.exit into Runtime.ExitError and replaces the environment', async () => {
    const version = fn('index.exit');
    const exited = await invoke(harness.pool, version);
    expect(exited.outcome).toBe('unhandled');
    expect(exited.error).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${exited.requestId} Error: Runtime exited with error: exit status 3`,
    });
    const again = await invoke(harness.pool, { ...version, handler: 'index.noop' });
    expect(again.outcome).toBe('success');
    expect(again.coldStart).toBe(true);
  });

  it('formats console and raw stdout/stderr lines the AWS way, in order, tagged with the request id', async () => {
    const result = await invoke(harness.pool, fn('index.logs'), { who: 'world' }, 'req-logs-1');
    const pattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z\treq-logs-1\t(INFO|WARN|ERROR|DEBUG)\t/;
    for (const line of result.lines) expect(line).toMatch(pattern);
    expect(result.lines.map((line) => line.split('\t').slice(2).join('\t'))).toEqual([
      'INFO\thello world { n: 1 }',
      'INFO\tinfo line',
      'WARN\twarn line',
      'ERROR\terror line',
      'DEBUG\tdebug line',
      'INFO\traw out',
      'ERROR\traw err',
    ]);
  });

  it('captures writes straight to file descriptor 2 as log lines instead of the engine stderr', async () => {
    const result = await invoke(harness.pool, fn('index.nativeStderr'), {}, 'req-fd2');
    expect(result.lines).toContainEqual(expect.stringMatching(/^\S+Z\treq-fd2\tERROR\tstraight to fd 2$/));
  });

  it('waits for the event loop with callbackWaitsForEmptyEventLoop, and replies at once without it', async () => {
    const waiting = await invoke(harness.pool, fn('index.waits', { codeDir: CJS }), { waits: true, ms: 150 });
    expect(waiting.body).toEqual({ pendingAtReply: 1 });
    expect(waiting.durationMs).toBeGreaterThanOrEqual(140);
    expect(waiting.lines.some((line) => line.endsWith('\tINFO\ttimer fired'))).toBe(true);

    // Its timer is far longer than a reply can take on a loaded machine (the environment runs below
    // the server's CPU priority): a reply that waited for it would take 2 s.
    const version = fn('index.waits', { codeDir: CJS });
    const early = await invoke(harness.pool, version, { waits: false, ms: 2000 });
    expect(early.body).toEqual({ pendingAtReply: 1 });
    expect(early.durationMs).toBeLessThan(1000);
    expect(early.lines).toEqual([]);
  });

  it('fails an invocation whose promise rejection goes unhandled, as Runtime.UnhandledPromiseRejection', async () => {
    const result = await invoke(harness.pool, fn('index.unhandledRejection'));
    expect(result.outcome).toBe('unhandled');
    expect(result.error).toMatchObject({
      errorType: 'Runtime.UnhandledPromiseRejection',
      errorMessage: 'Error: lost promise',
    });
    expect(result.lines.some((line) => line.includes('\tERROR\tUnhandled Promise Rejection \t'))).toBe(true);
  });

  it('answers null for a synchronous handler that never calls back, once its event loop is empty', async () => {
    const result = await invoke(harness.pool, fn('index.syncNoCallback', { codeDir: CJS }));
    expect(result.outcome).toBe('success');
    expect(result.payload?.toString()).toBe('null');
    expect(result.lines.map((line) => line.split('\t').slice(2).join('\t'))).toEqual(['INFO\tlater']);
  });

  it('reports an exception thrown after the handler returned as unhandled and replaces the environment', async () => {
    const version = fn('index.lateCrash');
    const first = await invoke(harness.pool, version);
    expect(first.outcome).toBe('success');
    const idle = harness.pool.stats().idle;
    // The timer throws 5 ms after the response; the environment dies and leaves the pool.
    const deadline = Date.now() + 5000;
    while (harness.pool.stats().idle === idle && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(harness.pool.stats().idle).toBe(idle - 1);
    const second = await invoke(harness.pool, { ...version, handler: 'index.noop' });
    expect(second.outcome).toBe('success');
    expect(second.coldStart).toBe(true);
  });
});
