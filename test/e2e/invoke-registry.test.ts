import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine.js';
import type { CreateFunctionInput } from '../../src/invoke/index.js';
import { LambdataError } from '../../src/shared/errors.js';
import { artifactDir } from '../helpers/artifacts.js';
import { fixturePath, zipFixture } from '../helpers/fixtures.js';

const json = (buf: Buffer) => JSON.parse(buf.toString('utf8'));

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    if (err instanceof LambdataError) return err.code;
    throw err;
  }
  return undefined;
}

describe('invoke: function registry', () => {
  const dir = artifactDir('lambdata-invoke-');
  let engine: Engine;

  beforeAll(async () => {
    engine = await createEngine({ dataDir: dir.path, runtime: { prestart: 0 } });
  });
  afterAll(async () => {
    await engine.close();
    dir.remove();
  });

  it('deploys from a directory and from a zip, and both run', async () => {
    const fromDir = await engine.functions.create({
      name: 'echo-dir',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/echo') },
    });
    expect(fromDir).toMatchObject({
      version: '$LATEST',
      memoryMb: 128,
      timeoutS: 3,
      ephemeralStorageMb: 512,
      runtime: 'nodejs20.x',
    });
    expect(fromDir.arn).toBe('arn:aws:lambda:us-east-1:000000000000:function:echo-dir');
    expect(existsSync(join(fromDir.codeDir, 'index.mjs'))).toBe(true);
    expect(fromDir.codeDir.startsWith(join(dir.path, 'functions', 'echo-dir'))).toBe(true);

    const zip = zipFixture('invoke/echo');
    const fromZip = await engine.functions.create({ name: 'echo-zip', handler: 'index.handler', code: { zip } });
    expect(fromZip.codeSize).toBe(zip.length);
    expect(fromZip.codeSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);

    for (const name of ['echo-dir', 'echo-zip']) {
      const result = await engine.invocations.invoke({ functionName: name, payload: '{"n":1}' });
      expect(result.functionError).toBeUndefined();
      expect(json(result.payload)).toEqual({ echo: { n: 1 } });
    }
    // ARNs and partial ARNs name the same function.
    expect(engine.functions.get('arn:aws:lambda:us-east-1:000000000000:function:echo-zip').name).toBe('echo-zip');
    expect(engine.functions.get('000000000000:function:echo-zip').name).toBe('echo-zip');
  });

  it('bundles a TypeScript handler with its imports at deploy time', async () => {
    const fn = await engine.functions.create({
      name: 'greeter-ts',
      handler: 'app.handler',
      code: { dir: fixturePath('invoke/ts') },
    });
    expect(existsSync(join(fn.codeDir, 'app.mjs'))).toBe(true);
    expect(existsSync(join(fn.codeDir, 'app.mjs.map'))).toBe(true);
    const result = await engine.invocations.invoke({ functionName: 'greeter-ts', payload: '{"name":"ada"}' });
    expect(result.functionError).toBeUndefined();
    expect(json(result.payload)).toEqual({ text: 'hello, ada', length: 10 });
  });

  it('refuses bad configuration with InvalidParameterValueException and stores nothing', async () => {
    const code = { dir: fixturePath('invoke/echo') };
    const cases: Array<Omit<CreateFunctionInput, 'code'>> = [
      { name: 'bad name!', handler: 'index.handler' },
      { name: 'x'.repeat(65), handler: 'index.handler' },
      { name: 'mem-100', handler: 'index.handler', memoryMb: 100 },
      { name: 'timeout-901', handler: 'index.handler', timeoutS: 901 },
      { name: 'env-big', handler: 'index.handler', environment: { BIG: 'x'.repeat(4100) } },
      { name: 'env-key', handler: 'index.handler', environment: { '1BAD': 'v' } },
      { name: 'bad-handler', handler: 'index' },
      { name: 'bad-runtime', handler: 'index.handler', runtime: 'python2.7' },
      { name: 'bad-py-handler', handler: 'index', runtime: 'python3.12' },
    ];
    for (const input of cases) {
      const err = await engine.functions.create({ ...input, code }).catch((e: unknown) => e);
      expect(err, input.name).toBeInstanceOf(LambdataError);
      expect((err as LambdataError).code, input.name).toBe('InvalidParameterValueException');
      expect((err as LambdataError).status).toBe(400);
      expect(engine.functions.has(input.name.slice(0, 64))).toBe(false);
    }
    expect(
      (
        await engine.functions
          .create({ name: 'mem-100', handler: 'index.handler', memoryMb: 100, code })
          .catch((e) => e)
      ).message,
    ).toMatch(/MemorySize/);
    const stored = readdirSync(join(dir.path, 'functions'));
    for (const input of cases) expect(stored).not.toContain(input.name);
  });

  it('refuses zip entries that escape the package and uploads over 50 MB', async () => {
    const slip = Buffer.from(
      zipSync({ 'index.mjs': Buffer.from('export const handler = () => 1;'), '../evil.js': Buffer.from('x') }),
    );
    expect(
      await codeOf(engine.functions.create({ name: 'zip-slip', handler: 'index.handler', code: { zip: slip } })),
    ).toBe('InvalidParameterValueException');
    expect(existsSync(join(dir.path, 'functions', 'evil.js'))).toBe(false);
    const absolute = Buffer.from(zipSync({ '/tmp/abs.js': Buffer.from('x') }));
    expect(
      await codeOf(engine.functions.create({ name: 'zip-abs', handler: 'index.handler', code: { zip: absolute } })),
    ).toBe('InvalidParameterValueException');
    expect(
      await codeOf(
        engine.functions.create({
          name: 'zip-big',
          handler: 'index.handler',
          code: { zip: Buffer.alloc(51 * 1024 * 1024) },
        }),
      ),
    ).toBe('RequestTooLargeException');
  });

  it('refuses a duplicate name and reports unknown functions', async () => {
    expect(
      await codeOf(
        engine.functions.create({
          name: 'echo-dir',
          handler: 'index.handler',
          code: { dir: fixturePath('invoke/echo') },
        }),
      ),
    ).toBe('ResourceConflictException');
    expect(await codeOf(() => engine.functions.get('nope'))).toBe('ResourceNotFoundException');
    expect(await codeOf(engine.invocations.invoke({ functionName: 'nope' }))).toBe('ResourceNotFoundException');
  });

  it('reports a missing handler file at invoke time as Runtime.ImportModuleError', async () => {
    await engine.functions.create({
      name: 'no-file',
      handler: 'missing.handler',
      code: { dir: fixturePath('invoke/echo') },
    });
    const result = await engine.invocations.invoke({ functionName: 'no-file' });
    expect(result.statusCode).toBe(200);
    expect(result.functionError).toBe('Unhandled');
    expect(json(result.payload).errorType).toBe('Runtime.ImportModuleError');
  });

  it('publishes immutable numbered versions', async () => {
    await engine.functions.create({
      name: 'versioned',
      handler: 'index.handler',
      code: { dir: fixturePath('invoke/echo') },
      environment: { V: 'one' },
    });
    const v1 = engine.functions.publish('versioned', 'first');
    expect(v1).toMatchObject({
      version: '1',
      description: 'first',
      arn: 'arn:aws:lambda:us-east-1:000000000000:function:versioned:1',
    });
    expect(engine.functions.publish('versioned').version).toBe('1'); // nothing changed since
    engine.functions.updateConfig('versioned', { environment: { V: 'two' }, memoryMb: 256 });
    const v2 = await engine.functions.updateCode('versioned', { dir: fixturePath('invoke/ok') }, { publish: true });
    expect(v2.version).toBe('2');
    expect(engine.functions.get('versioned', '1')).toMatchObject({
      memoryMb: 128,
      environment: { V: 'one' },
      codeSha256: v1.codeSha256,
    });
    expect(engine.functions.get('versioned:2')).toMatchObject({ memoryMb: 256, environment: { V: 'two' } });
    expect(engine.functions.listVersions('versioned').map((v) => v.version)).toEqual(['$LATEST', '1', '2']);
    const old = await engine.invocations.invoke({ functionName: 'versioned', qualifier: '1', payload: '{"a":1}' });
    expect(old.executedVersion).toBe('1');
    expect(json(old.payload)).toEqual({ echo: { a: 1 } });
    engine.functions.delete('versioned', '1');
    expect(await codeOf(() => engine.functions.get('versioned', '1'))).toBe('ResourceNotFoundException');
    expect(engine.functions.publish('versioned').version).toBe('2');
    engine.functions.updateConfig('versioned', { description: 'changed', timeoutS: 10 });
    expect(engine.functions.publish('versioned').version).toBe('3'); // numbers are never reused
  });
});

describe('invoke: registry survives a restart', () => {
  it('keeps functions, versions and settings, and they stay invokable', async () => {
    const dir = artifactDir('lambdata-invoke-');
    try {
      const first = await createEngine({ dataDir: dir.path, runtime: { prestart: 0 } });
      await first.functions.create({
        name: 'persistent',
        handler: 'app.handler',
        code: { dir: fixturePath('invoke/ts') },
        memoryMb: 512,
        publish: true,
        reservedConcurrency: 5,
      });
      first.functions.putEventInvokeConfig('persistent', { maximumRetryAttempts: 1 });
      await first.close();

      const second = await createEngine({ dataDir: dir.path, runtime: { prestart: 0 } });
      try {
        expect(second.functions.list().map((f) => f.name)).toEqual(['persistent']);
        expect(second.functions.listVersions('persistent').map((v) => v.version)).toEqual(['$LATEST', '1']);
        expect(second.functions.settings('persistent')).toMatchObject({
          reservedConcurrency: 5,
          eventInvokeConfig: { maximumRetryAttempts: 1 },
        });
        const result = await second.invocations.invoke({ functionName: 'persistent:1', payload: '{"name":"bo"}' });
        expect(json(result.payload)).toEqual({ text: 'hello, bo', length: 9 });
        second.functions.delete('persistent');
        expect(second.functions.has('persistent')).toBe(false);
        expect(existsSync(join(dir.path, 'functions', 'persistent'))).toBe(false);
      } finally {
        await second.close();
      }
    } finally {
      dir.remove();
    }
  });
});
