import { describe, expect, it } from 'vitest';
import { validateConfig, validateEventInvokeConfig, validateName } from './validation.js';

const messageOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
};

describe('function validation', () => {
  it('accepts AWS names and handlers, and names the bad field otherwise', () => {
    expect(messageOf(() => validateName('my-fn_1'))).toBeUndefined();
    expect(messageOf(() => validateName(''))).toMatch(/FunctionName/);
    expect(messageOf(() => validateConfig({ handler: 'src/app.lambda.handler' }))).toBeUndefined();
    expect(messageOf(() => validateConfig({ handler: 'handler' }))).toMatch(/^Handler/);
    expect(messageOf(() => validateConfig({ handler: '../x.handler' }))).toMatch(/^Handler/);
    expect(messageOf(() => validateConfig({ memoryMb: 10241 }))).toMatch(/^MemorySize/);
    expect(messageOf(() => validateConfig({ timeoutS: 0 }))).toMatch(/^Timeout/);
    expect(messageOf(() => validateConfig({ ephemeralStorageMb: 511 }))).toMatch(/^EphemeralStorage/);
    expect(messageOf(() => validateConfig({ environment: { AWS_REGION: 'x' } }))).toMatch(/reserved/);
    expect(messageOf(() => validateConfig({ reservedConcurrency: -1 }))).toMatch(/ReservedConcurrentExecutions/);
  });

  it('checks runtimes and the handler syntax of each family', () => {
    expect(messageOf(() => validateConfig({ runtime: 'provided.al2023', handler: 'anything at all' }))).toBeUndefined();
    expect(messageOf(() => validateConfig({ runtime: 'cobol1.0' }))).toMatch(
      /^Runtime: 'cobol1.0' is not supported; use one of nodejs/,
    );
    expect(messageOf(() => validateConfig({ runtime: 'java8' }))).toMatch(/^Runtime: 'java8' is not supported/);
    expect(messageOf(() => validateConfig({ handler: 'com.example.Main::' }, 'java17'))).toMatch(/^Handler/);
    expect(messageOf(() => validateConfig({ handler: 'index.handler' }, 'python3.12'))).toBeUndefined();
    for (const handler of ['lambda_function.lambda_handler', 'pkg/mod.fn', 'pkg.mod.fn']) {
      expect(messageOf(() => validateConfig({ runtime: 'python3.12', handler }))).toBeUndefined();
    }
    for (const handler of ['handler', '../mod.fn', 'mod.fn-x', 'mod.', '1mod.fn', 'pkg//mod.fn']) {
      expect(messageOf(() => validateConfig({ runtime: 'python3.9', handler }))).toMatch(
        /^Handler: .* module\.function/,
      );
    }
  });

  it('fills event invoke defaults and checks ranges and destinations', () => {
    expect(validateEventInvokeConfig({})).toEqual({ maximumRetryAttempts: 2, maximumEventAgeInSeconds: 21600 });
    expect(messageOf(() => validateEventInvokeConfig({ maximumRetryAttempts: 3 }))).toMatch(/MaximumRetryAttempts/);
    expect(messageOf(() => validateEventInvokeConfig({ maximumEventAgeInSeconds: 59 }))).toMatch(
      /MaximumEventAgeInSeconds/,
    );
    expect(messageOf(() => validateEventInvokeConfig({ onFailure: 'nope' }))).toMatch(/OnFailure/);
    expect(validateEventInvokeConfig({ onSuccess: 'arn:aws:sqs:us-east-1:000000000000:done' }).onSuccess).toBe(
      'arn:aws:sqs:us-east-1:000000000000:done',
    );
  });
});
