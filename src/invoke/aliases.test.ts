import { afterEach, describe, expect, it } from 'vitest';
import { type TestContext, testContext } from '../../test/helpers/engine-context.js';
import { FunctionAliases, isAliasName } from './aliases.js';

let ctx: TestContext | undefined;

function aliases(): FunctionAliases {
  ctx = testContext('aliases');
  ctx.db.exec("CREATE TABLE invoke_functions (name TEXT PRIMARY KEY); INSERT INTO invoke_functions VALUES ('fn');");
  return new FunctionAliases({
    db: ctx.db,
    region: 'us-east-1',
    hasVersion: (_name, version) => ['$LATEST', '1', '2'].includes(version),
    onDelete: () => undefined,
  });
}

afterEach(() => {
  ctx?.dispose();
  ctx = undefined;
});

describe('function aliases', () => {
  it('sends the additional version exactly its weight of the unit interval', () => {
    const store = aliases();
    const alias = store.create('fn', 'live', { functionVersion: '1', additionalVersionWeights: { '2': 0.25 } });
    expect(store.choose(alias, 0)).toBe('2');
    expect(store.choose(alias, 0.2499)).toBe('2');
    expect(store.choose(alias, 0.25)).toBe('1');
    expect(store.choose(alias, 0.999)).toBe('1');
    const none = store.update('fn', 'live', { additionalVersionWeights: {} });
    expect(store.choose(none, 0)).toBe('1');
  });

  it('tells alias names from versions and lists the aliases routing to a version', () => {
    expect(isAliasName('live')).toBe(true);
    expect(isAliasName('$LATEST')).toBe(false);
    expect(isAliasName('12')).toBe(false);
    const store = aliases();
    store.create('fn', 'a', { functionVersion: '1', additionalVersionWeights: { '2': 0.1 } });
    store.create('fn', 'b', { functionVersion: '2' });
    store.create('fn', 'c', { functionVersion: '$LATEST' });
    expect(store.referencing('fn', '2')).toEqual(['a', 'b']);
    expect(store.referencing('fn', '1')).toEqual(['a']);
  });
});
