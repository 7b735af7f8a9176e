import { describe, expect, it } from 'vitest';
import { AttemptSecrets } from './attempt-secrets.js';

describe('AttemptSecrets', () => {
  it('matches only the live secret of that very attempt, and forgets it when the attempt ends', () => {
    const secrets = new AttemptSecrets();
    const one = secrets.issue('j-1', 'm0', 1);
    const two = secrets.issue('j-1', 'm0', 2);
    expect(one).not.toBe(two);
    expect(secrets.matches('j-1', 'm0', 1, one)).toBe(true);
    expect(secrets.matches('j-1', 'm0', 2, one)).toBe(false);
    expect(secrets.matches('j-2', 'm0', 1, one)).toBe(false);
    expect(secrets.matches('j-1', 'm1', 1, one)).toBe(false);
    expect(secrets.matches('j-1', 'm0', 1, `${one}x`)).toBe(false);
    expect(secrets.matches('j-1', 'm0', 1, undefined)).toBe(false);
    expect(secrets.matches('j-1', 'm0', 1, '')).toBe(false);
    secrets.revoke('j-1', 'm0', 1);
    expect(secrets.matches('j-1', 'm0', 1, one)).toBe(false);
    expect(secrets.matches('j-1', 'm0', 2, two)).toBe(true);
    secrets.revokeTask('j-1', 'm0');
    expect(secrets.matches('j-1', 'm0', 2, two)).toBe(false);
    const three = secrets.issue('j-1', 'm3', 1);
    secrets.revokeRun('j-1');
    expect(secrets.matches('j-1', 'm3', 1, three)).toBe(false);
  });
});
