import { afterEach, describe, expect, it } from 'vitest';
import { type TestContext, testContext } from '../../test/helpers/engine-context.js';
import { FunctionUrlConfigs } from './function-urls.js';

let ctx: TestContext | undefined;

afterEach(() => {
  ctx?.dispose();
  ctx = undefined;
});

describe('function URL configs', () => {
  it('keep the URLs of an older data dir whose function exists, and go with their function', () => {
    ctx = testContext('function-urls');
    const db = ctx.db;
    db.exec(`CREATE TABLE invoke_functions (name TEXT PRIMARY KEY);
             INSERT INTO invoke_functions VALUES ('kept'), ('other');
             CREATE TABLE function_urls (function_name TEXT PRIMARY KEY, config TEXT NOT NULL);`);
    const old = (name: string) =>
      JSON.stringify({ functionName: name, authType: 'NONE', invokeMode: 'BUFFERED', createdAt: 1, modifiedAt: 1 });
    db.prepare('INSERT INTO function_urls VALUES (?, ?), (?, ?)').run('kept', old('kept'), 'gone', old('gone'));
    const urls = new FunctionUrlConfigs(ctx);
    expect(urls.find('kept')).toMatchObject({ functionName: 'kept', authType: 'NONE' });
    expect(urls.find('gone')).toBeUndefined();
    urls.create('other', { authType: 'AWS_IAM', cors: { AllowOrigins: ['https://a.example'] } });
    db.prepare('DELETE FROM invoke_functions WHERE name = ?').run('other');
    expect(urls.find('other')).toBeUndefined();
    expect(() => urls.create('kept', {})).toThrow(expect.objectContaining({ code: 'ResourceConflictException' }));
    expect(() => urls.update('kept', { cors: { AllowMethods: ['TRACE'] } })).toThrow(
      expect.objectContaining({ code: 'InvalidParameterValueException' }),
    );
  });
});
