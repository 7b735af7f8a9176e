import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findJava, javaUnavailable } from '../../src/runtime/java-runtime.js';
import { distPath } from '../../src/shared/paths.js';
import { artifactDir } from '../helpers/artifacts.js';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';
import { runAws, runLambdata } from '../helpers/cli.js';
import { fixturePath } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const missing = javaUnavailable('java17') ?? (hasJavac() ? undefined : 'no javac to compile the test handlers');
if (missing) console.warn(`runtime-java tests skipped: ${missing}`);

let t: TestServer;
let lambda: LambdaClient;
let work: ReturnType<typeof artifactDir>;
let zipPath: string;
let fatJarPath: string;

const decode = (payload?: Uint8Array) => Buffer.from(payload ?? []).toString('utf8');

function hasJavac(): boolean {
  try {
    execFileSync('javac', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false; // no JDK here: the suite says so and skips
  }
}

/**
 * Compiles the fixture handlers against lambdata's runtime jar (as a user compiles against AWS's
 * aws-lambda-java-core) and zips them in AWS's layout: classes at the root, dependencies in lib/.
 */
function buildPackage(dir: string): string {
  const classes = join(dir, 'classes');
  const sources = [
    'example/Hello.java',
    'example/Upper.java',
    'example/Methods.java',
    'example/Broken.java',
    'greeting/Greeter.java',
  ];
  const runtimeJar = distPath('runtime/java/lambdata-java-runtime.jar');
  execFileSync('javac', [
    '--release',
    '17',
    '-cp',
    runtimeJar,
    '-d',
    classes,
    ...sources.map((s) => fixturePath(`runtime/java/${s}`)),
  ]);
  mkdirSync(join(dir, 'lib'));
  execFileSync('jar', ['--create', '--file', join(dir, 'lib', 'greeting.jar'), '-C', classes, 'greeting']);
  const files: Record<string, Uint8Array> = { 'lib/greeting.jar': readFileSync(join(dir, 'lib', 'greeting.jar')) };
  for (const name of readdirSync(join(classes, 'example'))) {
    files[`example/${name}`] = readFileSync(join(classes, 'example', name));
  }
  // The same classes as one fat jar, dependency included.
  execFileSync('jar', ['--create', '--file', join(dir, 'app.jar'), '-C', classes, '.']);
  const zip = join(dir, 'handlers.zip');
  writeFileSync(zip, zipSync(files));
  expect(Object.keys(files).map((f) => relative('', f))).toContain('example/Hello.class');
  return zip;
}

async function create(name: string, handler: string, ...extra: string[]) {
  return createAs('java17', name, handler, ...extra);
}

async function createAs(runtime: string, name: string, handler: string, ...extra: string[]) {
  return runAws(
    t.url,
    t.dir,
    'lambda',
    'create-function',
    '--function-name',
    name,
    '--runtime',
    runtime,
    '--role',
    'arn:aws:iam::000000000000:role/any',
    '--handler',
    handler,
    '--zip-file',
    `fileb://${zipPath}`,
    ...extra,
  );
}

async function invoke(name: string, payload: string) {
  return lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(payload), LogType: 'Tail' }));
}

// A JVM's cold start takes seconds on a loaded machine, several per test.
describe.skipIf(missing !== undefined)('Java functions (java17) on the machine JDK', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    work = artifactDir('runtime-java-');
    zipPath = buildPackage(work.path);
    fatJarPath = join(work.path, 'app.jar');
    t = await startTestServer('runtime-java');
    lambda = new LambdaClient({ ...AWS_TEST_CONFIG, endpoint: t.url, maxAttempts: 1 });
  }, 120_000);

  afterAll(async () => {
    lambda?.destroy();
    await t?.close();
    work?.remove();
  });

  it('deploys a RequestHandler with the AWS CLI and invokes it cold and warm through the SDK', async () => {
    const created = await create('java-hello', 'example.Hello', '--memory-size', '256', '--timeout', '20');
    expect(created).toMatchObject({ FunctionName: 'java-hello', Runtime: 'java17', Handler: 'example.Hello' });
    const cold = await invoke('java-hello', '{"name":"Ada"}');
    expect(cold.FunctionError).toBeUndefined();
    const body = JSON.parse(decode(cold.Payload));
    expect(body).toMatchObject({
      greeting: 'Hello, Ada!',
      calls: 1,
      functionName: 'java-hello',
      arn: 'arn:aws:lambda:us-east-1:000000000000:function:java-hello',
      memory: 256,
      remainingPositive: true,
      nested: [1, 2.5, true, 'x"y'],
      loaded: true,
    });
    // The heap is sized from the function's memory, leaving room for the JVM's own memory.
    expect(body.maxHeapMb).toBeGreaterThan(100);
    expect(body.maxHeapMb).toBeLessThan(256);
    const log = Buffer.from(cold.LogResult ?? '', 'base64').toString('utf8');
    expect(log).toMatch(new RegExp(`REPORT RequestId: ${body.requestId}\\t.*\\tInit Duration: \\d+\\.\\d\\d ms`));
    expect(log).toContain('Hello class initialized');
    const warm = await invoke('java-hello', '{"name":"Grace"}');
    expect(JSON.parse(decode(warm.Payload))).toMatchObject({ greeting: 'Hello, Grace!', calls: 2 });
    expect(Buffer.from(warm.LogResult ?? '', 'base64').toString('utf8')).not.toContain('Init Duration');
  });

  it('deploys a fat jar with `lambdata deploy --runtime java17` and invokes it with the CLI', async () => {
    const deployed = await runLambdata(
      t.url,
      'deploy',
      'java-jar',
      fatJarPath,
      '--runtime',
      'java17',
      '--handler',
      'example.Hello',
      '--timeout',
      '30',
    );
    expect(deployed.stderr).toBe('');
    expect(deployed.code).toBe(0);
    const invoked = await runLambdata(t.url, 'invoke', 'java-jar', '{"name":"jar"}');
    expect(invoked.code).toBe(0);
    expect(invoked.stdout).toContain('Hello, jar!');
  });

  it('serves a RequestStreamHandler raw bytes and static or instance methods named Class::method', async () => {
    await create('java-upper', 'example.Upper');
    const upper = await invoke('java-upper', '{"word":"quiet"}');
    expect(decode(upper.Payload)).toBe('{"WORD":"QUIET"}');
    await create('java-echo', 'example.Methods::echo');
    expect(decode((await invoke('java-echo', '"hi"')).Payload)).toBe('"echo: hi"');
    await create('java-sum', 'example.Methods::sum');
    expect(decode((await invoke('java-sum', '[1, 2, 39]')).Payload)).toBe('42');
  });

  it('reports an exception as AWS Java does: class as errorType, message, stack trace, cause', async () => {
    await create('java-fail', 'example.Methods::fail');
    const out = await invoke('java-fail', '{"why":"testing"}');
    expect(out.FunctionError).toBe('Unhandled');
    const error = JSON.parse(decode(out.Payload));
    expect(error).toMatchObject({
      errorType: 'java.lang.IllegalStateException',
      errorMessage: 'asked to fail: testing',
    });
    expect(error.stackTrace[0]).toMatch(/^example\.Methods\.fail\(Methods\.java:\d+\)$/);
    expect(error.cause).toMatchObject({ errorType: 'java.lang.ArithmeticException', errorMessage: 'root cause' });
    // The environment survives a handler's exception.
    const again = await invoke('java-fail', '{"why":"twice"}');
    expect(JSON.parse(decode(again.Payload)).errorMessage).toBe('asked to fail: twice');
    expect(Buffer.from(again.LogResult ?? '', 'base64').toString('utf8')).not.toContain('Init Duration');
  });

  it('times a slow handler out and starts a fresh environment after', async () => {
    await create('java-sleep', 'example.Methods::sleep', '--timeout', '2');
    const slow = await invoke('java-sleep', '{"ms":10000}');
    expect(slow.FunctionError).toBe('Unhandled');
    expect(JSON.parse(decode(slow.Payload))).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 2.00 seconds',
    });
    const quick = await invoke('java-sleep', '{"ms":1}');
    expect(decode(quick.Payload)).toBe('"woke"');
    expect(Buffer.from(quick.LogResult ?? '', 'base64').toString('utf8')).toContain('Init Duration');
  });

  it('runs java21 functions on the machine JDK, saying so in the log when that JDK is older', async () => {
    const created = await createAs('java21', 'java21-hello', 'example.Hello');
    expect(created).toMatchObject({ Runtime: 'java21' });
    const out = await invoke('java21-hello', '{"name":"Duke"}');
    expect(JSON.parse(decode(out.Payload))).toMatchObject({ greeting: 'Hello, Duke!' });
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    const jdk = findJava()?.version ?? 0;
    if (jdk < 21) expect(log).toContain(`lambdata: runtime java21 runs on this machine's Java ${jdk}`);
    else expect(log).not.toContain('lambdata: runtime java21');
  });

  it('reports a class or method that does not exist, or a class that cannot initialize, at init', async () => {
    await create('java-noclass', 'example.Missing');
    const noClass = await invoke('java-noclass', '{}');
    expect(JSON.parse(decode(noClass.Payload))).toEqual({
      errorType: 'java.lang.ClassNotFoundException',
      errorMessage: 'Class not found: example.Missing',
    });
    await create('java-broken', 'example.Broken');
    const broken = await invoke('java-broken', '"x"');
    expect(broken.FunctionError).toBe('Unhandled');
    expect(JSON.parse(decode(broken.Payload))).toMatchObject({
      errorType: 'java.lang.IllegalArgumentException',
      errorMessage: 'CONFIG_URL is not set',
      stackTrace: expect.arrayContaining([expect.stringMatching(/^example\.Broken\.load\(Broken\.java:\d+\)$/)]),
    });
    await create('java-nomethod', 'example.Methods::absent');
    const noMethod = await invoke('java-nomethod', '{}');
    expect(JSON.parse(decode(noMethod.Payload))).toMatchObject({
      errorType: 'java.lang.NoSuchMethodException',
      errorMessage: expect.stringContaining('No public method named absent'),
    });
  });
});
