import { join } from 'node:path';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, FIXTURES, fn, invoke, taskRoot } from '../fixtures/runtime/harness.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { zipFixture } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const provided = (dir: string, overrides: Parameters<typeof fn>[1] = {}) =>
  fn('function.handler', { runtime: 'provided.al2023', codeDir: join(FIXTURES, dir), ...overrides });

describe('runtime: custom runtime bootstraps that fail', () => {
  let harness: ReturnType<typeof createPool>;
  beforeAll(() => {
    harness = createPool({ prestart: 0 });
  });
  afterAll(() => harness.close());

  it('reports a missing or non-executable bootstrap as Runtime.InvalidEntrypoint', async () => {
    const missing = provided('cjs');
    expect(await invoke(harness.pool, missing)).toMatchObject({
      outcome: 'unhandled',
      coldStart: true,
      error: {
        errorType: 'Runtime.InvalidEntrypoint',
        errorMessage: `Couldn't find valid bootstrap(s): [${taskRoot(harness.pool, missing)}/bootstrap]`,
      },
    });
    const locked = provided('bootstrap-not-executable');
    const result = await invoke(harness.pool, locked);
    expect(result).toMatchObject({ outcome: 'unhandled', error: { errorType: 'Runtime.InvalidEntrypoint' } });
    expect(result.error?.errorMessage).toContain(
      `fork/exec ${taskRoot(harness.pool, locked)}/bootstrap: permission denied`,
    );
  });

  it('reports a bootstrap that exits before asking for an invocation as Runtime.ExitError, with its output', async () => {
    const failed = await invoke(harness.pool, provided('bootstrap-exits'));
    expect(failed).toMatchObject({
      outcome: 'unhandled',
      coldStart: true,
      error: {
        errorType: 'Runtime.ExitError',
        errorMessage: `RequestId: ${failed.requestId} Error: Runtime exited with error: exit status 3`,
      },
    });
    expect(failed.lines.join('\n')).toContain('bootstrap: config missing, giving up');
    const quiet = await invoke(harness.pool, provided('bootstrap-exits-zero'));
    expect(quiet.error).toEqual({
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${quiet.requestId} Error: Runtime exited without providing a reason`,
    });
  });

  it('reports a runtime that dies mid-invocation as Runtime.ExitError and starts a new one after', async () => {
    const version = provided('bootstrap-crashes');
    expect(await invoke(harness.pool, version, {})).toMatchObject({ outcome: 'success', body: { ok: true } });
    const exited = await invoke(harness.pool, version, { exit: 7 });
    expect(exited).toMatchObject({
      outcome: 'unhandled',
      coldStart: false,
      error: {
        errorType: 'Runtime.ExitError',
        errorMessage: `RequestId: ${exited.requestId} Error: Runtime exited with error: exit status 7`,
      },
    });
    const next = await invoke(harness.pool, version, {});
    expect(next).toMatchObject({ outcome: 'success', coldStart: true });
    const killed = await invoke(harness.pool, version, { signal: 'SIGKILL' });
    expect(killed.error?.errorType).toBe('Runtime.ExitError');
    // Inside a sandbox the runtime is its PID namespace's grandchild: its death shows as 128 + the signal.
    expect(killed.error?.errorMessage).toMatch(/Runtime exited with error: (signal: killed|exit status 137)$/);
  });

  it('times out a bootstrap that never asks for an invocation instead of hanging', async () => {
    const started = Date.now();
    const hung = await invoke(harness.pool, provided('bootstrap-hangs', { timeoutS: 1 }));
    expect(hung).toMatchObject({ outcome: 'timeout', error: { errorType: 'Sandbox.Timedout' } });
    // Init has AWS's 10 s limit (or the function's timeout when longer).
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 20_000);
});

describe('custom runtime failures through the Lambda API', () => {
  let t: TestServer;
  let lambda: LambdaClient;
  beforeAll(async () => {
    t = await startTestServer('runtime-bootstrap-failures');
    lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: t.url, maxAttempts: 1 });
  });
  afterAll(async () => {
    lambda?.destroy();
    await t?.close();
  });

  it('answers an invoke of a package without bootstrap with Runtime.InvalidEntrypoint, never a hang', async () => {
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'no-bootstrap',
        Runtime: 'provided.al2023',
        Role: 'arn:aws:iam::000000000000:role/test-role',
        Handler: 'function.handler',
        Code: { ZipFile: zipFixture('runtime/cjs') },
      }),
    );
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'no-bootstrap', LogType: 'Tail' }));
    expect(out.FunctionError).toBe('Unhandled');
    // The code's path as the environment sees it: /var/task in a sandbox, the package dir at the process level.
    expect(JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8'))).toEqual({
      errorType: 'Runtime.InvalidEntrypoint',
      errorMessage:
        t.engine.runtime.sandbox.level === 'process'
          ? expect.stringMatching(/^Couldn't find valid bootstrap\(s\): \[\/\S+\/bootstrap\]$/)
          : "Couldn't find valid bootstrap(s): [/var/task/bootstrap]",
    });
    expect(Buffer.from(out.LogResult ?? '', 'base64').toString('utf8')).toMatch(/REPORT RequestId: \S+\t/);
  });
});
