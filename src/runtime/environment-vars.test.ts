import { describe, expect, it } from 'vitest';
import type { EngineContext } from '../shared/context.js';
import { blankEnvironment, functionEnvironment, logStreamName } from './environment-vars.js';
import { speaksRuntimeApi } from './runtimes.js';
import type { RuntimeFunction } from './types.js';

const context = {
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
  endpoint: () => 'http://127.0.0.1:4566',
} as EngineContext;

const fn = (overrides: Partial<RuntimeFunction> = {}) =>
  ({
    name: 'orders',
    version: '3',
    handler: 'src/index.handler',
    runtime: 'nodejs20.x',
    memoryMb: 512,
    codeDir: '/data/functions/orders/3',
    environment: { STAGE: 'prod', AWS_REGION: 'us-west-2', TZ: 'Europe/Paris' },
    ...overrides,
  }) as RuntimeFunction;

describe('function environment variables', () => {
  it('holds the function variables plus the reserved AWS ones, which the function cannot override', () => {
    const env = functionEnvironment(fn(), context, 'e'.repeat(32), '/data/tmp/eee');
    expect(env).toMatchObject({
      STAGE: 'prod',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      TZ: ':UTC',
      TMPDIR: '/data/tmp/eee',
      AWS_LAMBDA_FUNCTION_NAME: 'orders',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_LAMBDA_FUNCTION_VERSION: '3',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/orders',
      LAMBDA_TASK_ROOT: '/data/functions/orders/3',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_ACCESS_KEY_ID: 'AK',
      AWS_SECRET_ACCESS_KEY: 'SK',
      _HANDLER: 'src/index.handler',
    });
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[3\]e{32}$/);
    expect(env.HOME).toBeUndefined();
  });

  it('has no execution env for custom runtimes and a minimal set for blank runtimes', () => {
    expect(speaksRuntimeApi('provided.al2023')).toBe(true);
    expect(speaksRuntimeApi('nodejs20.x')).toBe(false);
    expect(functionEnvironment(fn({ runtime: 'provided' }), context, 'x', '/t').AWS_EXECUTION_ENV).toBeUndefined();
    expect(Object.keys(blankEnvironment()).sort()).toEqual(['LANG', 'PATH', 'TZ']);
    expect(logStreamName('$LATEST', 'abc')).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\]abc$/);
  });
});
