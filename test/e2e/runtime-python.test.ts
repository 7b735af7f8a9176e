/**
 * Python functions end to end: `lambdata serve` as a process, deployed with the CLI, the AWS CLI and
 * the SDK, run by lambdata's own Python bootstrap over the Runtime API on the machine's python3.
 */
import { writeFileSync } from 'node:fs';
import { CreateFunctionCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPython } from '../../src/runtime/index.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runAws, runAwsText, runLambdata } from '../helpers/cli.js';
import { fixturePath, zipFixture } from '../helpers/fixtures.js';
import { type ServeProcess, startServe } from '../helpers/serve-process.js';

const ROLE = 'arn:aws:iam::000000000000:role/test-role';
const HANDLER = 'lambda_function.lambda_handler';
const ISO = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';
const python = findPython();

let serve: ServeProcess;
let lambda: LambdaClient;
let s3: S3Client;

const text = (payload?: Uint8Array) => Buffer.from(payload ?? []).toString('utf8');
const logOf = (tail?: string) => Buffer.from(tail ?? '', 'base64').toString('utf8');

async function create(name: string, fixture: string, extra: Record<string, unknown> = {}) {
  return lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'python3.12',
      Role: ROLE,
      Handler: HANDLER,
      Code: { ZipFile: zipFixture(fixture) },
      ...extra,
    }),
  );
}

async function invoke(name: string, event: unknown, extra: Record<string, unknown> = {}) {
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)), LogType: 'Tail', ...extra }),
  );
  return { out, body: JSON.parse(text(out.Payload)), log: logOf(out.LogResult) };
}

beforeAll(async () => {
  serve = await startServe('python');
  lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: serve.url });
  s3 = new S3Client({ ...AWS_TEST_CONFIG, endpoint: serve.url, forcePathStyle: true });
}, 60_000);
afterAll(async () => {
  lambda?.destroy();
  s3?.destroy();
  await serve?.close();
});

describe('python functions', () => {
  it('has a python3 to run them on', () => {
    expect(python?.path).toMatch(/^\/usr\/(local\/)?bin\/python3$/);
  });

  it('runs a handler deployed with the CLI: context, logs, init once, warm reuse', async () => {
    const deployed = await runLambdata(
      serve.url,
      'deploy',
      'py-basics',
      fixturePath('python/basics'),
      '--runtime',
      'python3.12',
      '--handler',
      HANDLER,
      '--json',
    );
    expect(deployed.stderr).toBe('');
    expect(deployed.code).toBe(0);
    const clientContext = Buffer.from(JSON.stringify({ custom: { k: 'v' } })).toString('base64');
    const first = await invoke('py-basics', { n: 1 }, { ClientContext: clientContext });
    expect(first.out.FunctionError).toBeUndefined();
    const id = first.body.aws_request_id as string;
    expect(first.body).toMatchObject({
      event: { n: 1 },
      init_count: 1,
      invocations: 1,
      function_name: 'py-basics',
      function_version: '$LATEST',
      invoked_function_arn: 'arn:aws:lambda:us-east-1:000000000000:function:py-basics',
      memory_limit_in_mb: '128',
      log_group_name: '/aws/lambda/py-basics',
      client_context_custom: { k: 'v' },
      identity_id: null,
      execution_env: 'AWS_Lambda_python3.12',
    });
    expect(first.body.remaining_ms).toBeGreaterThan(1000);
    expect(first.body.remaining_ms).toBeLessThanOrEqual(3000);
    expect(first.body.log_stream_name).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(first.body.trace_id).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
    const lines = first.log.trimEnd().split('\n');
    expect(lines[0]).toBe(`START RequestId: ${id} Version: $LATEST`);
    expect(lines).toContain('module loaded');
    expect(lines).toContain('hello from print');
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[INFO\\]\\t${ISO}\\t${id}\\tinfo 1$`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^\\[WARNING\\]\\t${ISO}\\t${id}\\ttwo\\rlines$`)));
    expect(lines.at(-2)).toBe(`END RequestId: ${id}`);
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `^REPORT RequestId: ${id}\\tDuration: \\d+\\.\\d{2} ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB\\tInit Duration: \\d+\\.\\d{2} ms$`,
      ),
    );

    const second = await invoke('py-basics', { n: 2 });
    expect(second.body).toMatchObject({ init_count: 1, invocations: 2 });
    expect(second.log).not.toContain('module loaded');
    expect(second.log).not.toContain('Init Duration');
    expect(second.log).toMatch(new RegExp(`\\[INFO\\]\\t${ISO}\\t${second.body.aws_request_id}\\tinfo 2\\n`));
  });

  it('finds handlers in packages, as pkg/mod.fn and pkg.mod.fn', async () => {
    await create('py-slash', 'python/basics', { Handler: 'pkg/nested.handler' });
    await create('py-dot', 'python/basics', { Handler: 'pkg.nested.handler' });
    expect((await invoke('py-slash', {})).body).toEqual({ nested: true, module: 'pkg.nested' });
    expect((await invoke('py-dot', {})).body).toEqual({ nested: true, module: 'pkg.nested' });
  });

  it('says when the machine runs another Python minor version than the one asked for', async () => {
    const other = python?.version === '3.9' ? 'python3.10' : 'python3.9';
    await create('py-version', 'python/basics', { Runtime: other });
    const { log } = await invoke('py-version', {});
    expect(log).toContain(
      `lambdata: runtime ${other} runs on this machine's Python ${python?.version} (${python?.path})`,
    );
  });

  it('reports a raised exception as AWS does: type, message, request id, stack trace', async () => {
    await create('py-errors', 'python/basics');
    const { out, body, log } = await invoke('py-errors', { fail: 'bad input' });
    expect(out.FunctionError).toBe('Unhandled');
    expect(body).toEqual({
      errorMessage: 'bad input',
      errorType: 'ValueError',
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      stackTrace: [
        expect.stringMatching(/^ {2}File "\/var\/task\/lambda_function\.py", line \d+, in lambda_handler\n/),
      ],
    });
    expect(log).toMatch(
      /\n\[ERROR\] ValueError: bad input\rTraceback \(most recent call last\):\r {2}File "\/var\/task\/lambda_function.py", line \d+, in lambda_handler\r {4}raise ValueError\(event\["fail"\]\)\n/,
    );
    const unmarshalable = await invoke('py-errors', { unserializable: true });
    expect(unmarshalable.body).toMatchObject({
      errorType: 'Runtime.MarshalError',
      errorMessage: 'Unable to marshal response: Object of type set is not JSON serializable',
    });
  });

  it('gives the Runtime.* error types for handlers that cannot load, never a hang', async () => {
    const cases = [
      [
        'py-syntax',
        'python/broken-syntax',
        HANDLER,
        'Runtime.UserCodeSyntaxError',
        /^Syntax error in module 'lambda_function': /,
      ],
      [
        'py-import',
        'python/broken-import',
        HANDLER,
        'Runtime.ImportModuleError',
        /^Unable to import module 'lambda_function': No module named 'module_that_does_not_exist'$/,
      ],
      [
        'py-nomodule',
        'python/basics',
        'missing_module.handler',
        'Runtime.ImportModuleError',
        /No module named 'missing_module'/,
      ],
      [
        'py-nohandler',
        'python/basics',
        'lambda_function.nope',
        'Runtime.HandlerNotFound',
        /^Handler 'nope' missing on module 'lambda_function'$/,
      ],
    ] as const;
    for (const [name, fixture, handler, errorType, message] of cases) {
      await create(name, fixture, { Handler: handler });
      const { out, body, log } = await invoke(name, {});
      expect(out.FunctionError, name).toBe('Unhandled');
      expect(body, name).toMatchObject({ errorType, requestId: '' });
      expect(body.errorMessage, name).toMatch(message);
      expect(log, name).toContain(`[ERROR] ${errorType}: `);
    }
  });

  it('refuses bad handlers and unknown runtimes at CreateFunction through the AWS CLI', async () => {
    const zip = `fileb://${serve.dir}/basics.zip`;
    writeFileSync(`${serve.dir}/basics.zip`, zipFixture('python/basics'));
    const attempt = (runtime: string, handler: string) =>
      runAws(
        serve.url,
        serve.dir,
        'lambda',
        'create-function',
        '--function-name',
        'py-bad',
        '--runtime',
        runtime,
        '--role',
        ROLE,
        '--handler',
        handler,
        '--zip-file',
        zip,
      ).then(
        () => '',
        (err: { stderr: string }) => err.stderr,
      );
    expect(await attempt('python3.12', 'lambda_handler')).toMatch(
      /InvalidParameterValueException.*Handler: 'lambda_handler' must look like module\.function/,
    );
    expect(await attempt('python2.7', HANDLER)).toMatch(
      /InvalidParameterValueException.*Runtime: 'python2.7' is not supported/,
    );
    const created = await runAws(
      serve.url,
      serve.dir,
      'lambda',
      'create-function',
      '--function-name',
      'py-cli',
      '--runtime',
      'python3.13',
      '--role',
      ROLE,
      '--handler',
      HANDLER,
      '--zip-file',
      zip,
    );
    expect(created).toMatchObject({ Runtime: 'python3.13', Handler: HANDLER });
  });

  it('enforces timeout, memory, /tmp size and reports a crash', async () => {
    await create('py-timeout', 'python/basics', { Timeout: 1 });
    await create('py-limits', 'python/basics', { Timeout: 20, MemorySize: 128, EphemeralStorage: { Size: 512 } });
    const timedOut = await invoke('py-timeout', { sleep: 5 });
    expect(timedOut.body).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringContaining('Task timed out after 1.00 seconds'),
    });
    expect(timedOut.log).toMatch(/Task timed out after 1\.00 seconds/);
    const oom = await invoke('py-limits', { allocate_mb: 400 });
    expect(oom.body).toMatchObject({ errorType: 'Runtime.OutOfMemory' });
    expect(Number(/Max Memory Used: (\d+) MB/.exec(oom.log)?.[1])).toBeGreaterThanOrEqual(128);
    const crashed = await invoke('py-limits', { crash: true });
    expect(crashed.body).toMatchObject({
      errorType: 'Runtime.ExitError',
      errorMessage: expect.stringContaining('exit status 3'),
    });
    const full = await invoke('py-limits', { tmp_mb: 600 });
    expect(full.body).toMatchObject({
      errorType: 'OSError',
      errorMessage: expect.stringContaining('No space left on device'),
    });
    const fine = await invoke('py-limits', { tmp_mb: 100 });
    expect(fine.body).toBe(100 * 1024 * 1024);
  });

  it("runs document 000's S3-triggered word count, writing its result back with unmodified boto3", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'wc-input' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'my-target-bucket-name' }));
    writeFileSync(`${serve.dir}/wordcount.zip`, zipFixture('python/wordcount'));
    await runAws(
      serve.url,
      serve.dir,
      'lambda',
      'create-function',
      '--function-name',
      'wordcount-py',
      '--runtime',
      'python3.11',
      '--role',
      ROLE,
      '--handler',
      HANDLER,
      '--timeout',
      '30',
      '--zip-file',
      `fileb://${serve.dir}/wordcount.zip`,
    );
    const notification = {
      LambdaFunctionConfigurations: [
        {
          LambdaFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:wordcount-py',
          Events: ['s3:ObjectCreated:*'],
        },
      ],
    };
    await runAws(
      serve.url,
      serve.dir,
      's3api',
      'put-bucket-notification-configuration',
      '--bucket',
      'wc-input',
      '--notification-configuration',
      JSON.stringify(notification),
    );
    writeFileSync(`${serve.dir}/tweets.txt`, 'the cat and The dog\nthe end 42 x1\n');
    await runAwsText(serve.url, serve.dir, 's3', 'cp', `${serve.dir}/tweets.txt`, 's3://wc-input/in/tweets one.txt');
    let key: string | undefined;
    const deadline = Date.now() + 30_000;
    while (key === undefined && Date.now() < deadline) {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'my-target-bucket-name' }));
      key = listed.Contents?.[0]?.Key;
      if (key === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(key).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} in\/tweets one\.txt$/);
    const result = await s3.send(new GetObjectCommand({ Bucket: 'my-target-bucket-name', Key: key }));
    expect(await result.Body?.transformToString()).toBe('and\t1\ncat\t1\ndog\t1\nend\t1\nthe\t3\nx1\t1\n');
  });
});

describe('a job mapper written in Python', () => {
  it('runs from `lambdata run <function>`, splits and all, and its results are merged', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'py-logs' }));
    const bodies = [0, 1, 2].map((n) =>
      Array.from({ length: 400 + n * 150 }, (_, i) => (i % 7 === n ? `line ${i} ERROR disk` : `line ${i} ok`)).join(
        '\n',
      ),
    );
    for (const [n, body] of bodies.entries()) {
      writeFileSync(`${serve.dir}/log-${n}.txt`, `${body}\n`);
      await runAwsText(serve.url, serve.dir, 's3', 'cp', `${serve.dir}/log-${n}.txt`, `s3://py-logs/app/log-${n}.txt`);
    }
    const deployed = await runLambdata(
      serve.url,
      'deploy',
      'py-mapper',
      fixturePath('python/mapper'),
      '--runtime',
      'python3.11',
      '--handler',
      HANDLER,
      '--timeout',
      '30',
    );
    expect(deployed.code).toBe(0);
    const run = await runLambdata(serve.url, 'run', 'py-mapper', 's3://py-logs/app/', '--split', '2KB', '--json');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const job = JSON.parse(run.stdout);
    const lines = bodies.flatMap((body) => body.split('\n'));
    expect(job.status).toBe('succeeded');
    expect(job.result.custom).toEqual({ lines: lines.length, errors: lines.filter((l) => l.includes('ERROR')).length });
    expect(job.result.totals.lines).toBe(lines.length);
    // 2 KB splits cut every object in several: exact per-object counts mean each line was owned once.
    expect(job.plan.splitSize).toBe(2048);
    for (const [n, body] of bodies.entries()) {
      expect(body.length).toBeGreaterThan(2 * 2048);
      expect(job.result.perObject[`app/log-${n}.txt`]).toEqual({
        lines: body.split('\n').length,
        words: body.split(/\s+/).length,
        bytes: body.length + 1,
      });
    }
  });
});
