/**
 * Custom runtimes (`provided`, `provided.al2`, `provided.al2023`) end to end: `lambdata serve` as a
 * process, functions deployed with the AWS CLI, the SDK and `lambdata deploy`, each package's own
 * `bootstrap` serving the Lambda Runtime API.
 */
import { writeFileSync } from 'node:fs';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runAws, runLambdata } from '../helpers/cli.js';
import { fixturePath, zipFixture } from '../helpers/fixtures.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const ROLE = 'arn:aws:iam::000000000000:role/test-role';
const REPORT =
  /^REPORT RequestId: [0-9a-f-]{36}\tDuration: \d+\.\d{2} ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB(\tInit Duration: \d+\.\d{2} ms)?$/;

let serve: ServeProcess;
let lambda: LambdaClient;

const text = (payload?: Uint8Array) => Buffer.from(payload ?? []).toString('utf8');

async function invoke(name: string, event: unknown, extra: Record<string, unknown> = {}) {
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)), LogType: 'Tail', ...extra }),
  );
  return { out, payload: text(out.Payload), log: Buffer.from(out.LogResult ?? '', 'base64').toString('utf8') };
}

function createModes(name: string, handler: string, extra: Record<string, unknown> = {}) {
  return lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'provided.al2',
      Role: ROLE,
      Handler: handler,
      Code: { ZipFile: zipFixture('provided/modes') },
      ...extra,
    }),
  );
}

beforeAll(async () => {
  serve = await startServe('provided');
  lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: serve.url });
}, 60_000);
afterAll(async () => {
  lambda?.destroy();
  await serve?.close();
});

describe('custom runtimes', () => {
  it("runs AWS's tutorial bash bootstrap unchanged, created with the AWS CLI", async () => {
    const zip = `${serve.dir}/tutorial.zip`;
    writeFileSync(zip, zipFixture('provided/tutorial'));
    const created = await runAws(
      serve.url,
      serve.dir,
      'lambda',
      'create-function',
      '--function-name',
      'bash-runtime',
      '--runtime',
      'provided.al2023',
      '--role',
      ROLE,
      '--handler',
      'function.handler',
      '--zip-file',
      `fileb://${zip}`,
    );
    expect(created).toMatchObject({ Runtime: 'provided.al2023', Handler: 'function.handler' });
    const outFile = `${serve.dir}/out.json`;
    const invoked = await runAws(
      serve.url,
      serve.dir,
      'lambda',
      'invoke',
      '--function-name',
      'bash-runtime',
      '--payload',
      '{"text":"Hello"}',
      '--log-type',
      'Tail',
      outFile,
    );
    expect(invoked?.StatusCode).toBe(200);
    expect(invoked?.FunctionError).toBeUndefined();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(outFile, 'utf8')).toBe(`Echoing request: '{"text":"Hello"}'`);
    const lines = Buffer.from(invoked?.LogResult, 'base64').toString('utf8').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST$/);
    expect(lines).toContain('{"text":"Hello"}'); // the handler's stderr
    expect(lines.at(-1)).toMatch(REPORT);
    expect(lines.at(-1)).toContain('Init Duration');
    const warm = await invoke('bash-runtime', { text: 'again' });
    expect(warm.payload).toBe(`Echoing request: '{"text":"again"}'`);
    expect(warm.log).not.toContain('Init Duration');
  });

  it('sends every Lambda-Runtime-* header, and takes new code from UpdateFunctionCode', async () => {
    await createModes('headers', 'headers');
    const clientContext = Buffer.from(JSON.stringify({ custom: { a: 1 } })).toString('base64');
    const before = Date.now();
    const { payload } = await invoke('headers', {}, { ClientContext: clientContext });
    const { headers, now } = JSON.parse(payload);
    expect(headers['lambda-runtime-aws-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers['lambda-runtime-invoked-function-arn']).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:headers',
    );
    expect(headers['lambda-runtime-trace-id']).toMatch(
      /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/,
    );
    expect(JSON.parse(headers['lambda-runtime-client-context'])).toEqual({ custom: { a: 1 } });
    const deadline = Number(headers['lambda-runtime-deadline-ms']);
    expect(deadline).toBeGreaterThan(now);
    expect(deadline).toBeLessThanOrEqual(before + 3000 + 5000);
    await lambda.send(
      new UpdateFunctionCodeCommand({ FunctionName: 'headers', ZipFile: zipFixture('provided/tutorial') }),
    );
    const { payload: updated } = await invoke('headers', { v: 2 });
    // The tutorial's bootstrap sources `<handler module>.sh`: `headers.sh` is not there, so init fails.
    expect(JSON.parse(updated)).toMatchObject({ errorType: 'Runtime.ExitError' });
  });

  it('deploys with `lambdata deploy --runtime provided.al2023`', async () => {
    const deployed = await runLambdata(
      serve.url,
      'deploy',
      'cli-bash',
      fixturePath('provided/tutorial'),
      '--runtime',
      'provided.al2023',
      '--handler',
      'function.handler',
    );
    expect(deployed.code).toBe(0);
    expect((await invoke('cli-bash', 'x')).payload).toBe(`Echoing request: '"x"'`);
  });

  it('enforces timeout, memory, /tmp size and the response size limit; reports crashes', async () => {
    await createModes('sleeper', 'sleep', { Timeout: 1 });
    const slept = await invoke('sleeper', {});
    expect(JSON.parse(slept.payload)).toMatchObject({ errorType: 'Sandbox.Timedout' });
    expect(slept.log).toMatch(/Task timed out after 1\.00 seconds/);

    await createModes('crasher', 'crash');
    const crashed = await invoke('crasher', {});
    expect(crashed.out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(crashed.payload)).toMatchObject({
      errorType: 'Runtime.ExitError',
      errorMessage: expect.stringMatching(/^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: exit status 7$/),
    });

    await createModes('hog', 'oom', { Timeout: 20 });
    const hog = await invoke('hog', {});
    expect(JSON.parse(hog.payload)).toMatchObject({ errorType: 'Runtime.OutOfMemory' });

    await createModes('filler', 'tmp', { Timeout: 20 });
    const filled = await invoke('filler', {});
    expect(filled.out.FunctionError).toBe('Unhandled');
    expect(JSON.parse(filled.payload)).toEqual({ errorType: 'TmpFull', errorMessage: 'ENOSPC' });

    await createModes('big', 'big', { Timeout: 20 });
    const big = await invoke('big', {});
    expect(JSON.parse(big.payload)).toMatchObject({ errorType: 'Function.ResponseSizeTooLarge' });
    const next = await invoke('big', {});
    // The runtime logs the 413 after its answer: in that invocation's log while the engine still drains
    // its output, in the next invocation's otherwise (a busy machine decides which).
    expect(`${big.log}\n${next.log}`).toContain('big response answered 413');
  });

  it('refuses an unknown runtime id with InvalidParameterValueException', async () => {
    await expect(createModes('bad-runtime', 'x', { Runtime: 'provided.al2099' })).rejects.toMatchObject({
      name: 'InvalidParameterValueException',
      message: expect.stringContaining("Runtime: 'provided.al2099' is not supported"),
    });
  });
});
