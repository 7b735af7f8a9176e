import { afterEach, describe, expect, it } from 'vitest';
import { type TestContext, testContext } from '../../test/helpers/engine-context.js';
import { FunctionPolicies, toStatement } from './function-policies.js';

const RESOURCE = 'arn:aws:lambda:us-east-1:000000000000:function:web';
const URL_ACTION = 'lambda:InvokeFunctionUrl';

let ctx: TestContext | undefined;

function policies(): FunctionPolicies {
  ctx = testContext('policies');
  ctx.db.exec("CREATE TABLE invoke_functions (name TEXT PRIMARY KEY); INSERT INTO invoke_functions VALUES ('web');");
  return new FunctionPolicies(ctx.db);
}

afterEach(() => {
  ctx?.dispose();
  ctx = undefined;
});

describe('function policies', () => {
  it('grants a URL call from another account only with a statement for its principal, action and auth type', () => {
    const store = policies();
    const partner = { action: URL_ACTION, account: '111122223333', functionUrlAuthType: 'AWS_IAM' };
    expect(store.allows('web', '', partner)).toBe(false);
    expect(store.allows('web', '', { ...partner, account: '000000000000' })).toBe(true);
    const grant = { action: URL_ACTION, principal: '111122223333', functionUrlAuthType: 'AWS_IAM' };
    store.add('web', '', RESOURCE, { ...grant, statementId: 'other-account', principal: '444455556666' });
    store.add('web', '', RESOURCE, { ...grant, statementId: 'wrong-type', functionUrlAuthType: 'NONE' });
    store.add('web', '', RESOURCE, { ...grant, statementId: 'wrong-action', action: 'lambda:GetFunction' });
    store.add('web', '', RESOURCE, { ...grant, statementId: 'from-bucket', sourceArn: 'arn:aws:s3:::b' });
    expect(store.allows('web', '', partner)).toBe(false);
    store.add('web', '', RESOURCE, { ...grant, statementId: 'partner' });
    expect(store.allows('web', '', partner)).toBe(true);
    expect(store.allows('web', 'live', partner)).toBe(false);
    store.remove('web', '', 'partner');
    expect(store.allows('web', '', partner)).toBe(false);
    store.add('web', '', RESOURCE, { statementId: 'anyone', action: 'lambda:*', principal: '*' });
    expect(store.allows('web', '', partner)).toBe(true);
  });

  it('shapes principals as IAM does and refuses what AWS refuses', () => {
    const base = { statementId: 's', action: 'lambda:InvokeFunction' };
    expect(toStatement(RESOURCE, { ...base, principal: '*' }).Principal).toBe('*');
    expect(toStatement(RESOURCE, { ...base, principal: '123456789012' }).Principal).toEqual({
      AWS: 'arn:aws:iam::123456789012:root',
    });
    expect(toStatement(RESOURCE, { ...base, principal: 'events.amazonaws.com' }).Principal).toEqual({
      Service: 'events.amazonaws.com',
    });
    for (const bad of [
      { ...base, principal: 'someone' },
      { ...base, principal: '*', statementId: 'has space' },
      { ...base, principal: '*', action: 's3:GetObject' },
      { ...base, principal: '*', sourceAccount: '12' },
      { ...base, principal: '*', functionUrlAuthType: 'KEY' },
    ]) {
      expect(() => toStatement(RESOURCE, bad)).toThrow(
        expect.objectContaining({ code: 'InvalidParameterValueException' }),
      );
    }
  });
});
