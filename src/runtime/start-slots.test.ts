import { describe, expect, it } from 'vitest';
import type { Environment } from './environment.js';
import { type StartGrant, StartSlots } from './start-slots.js';

const released = (grant: StartGrant) => {
  if (!('release' in grant)) throw new Error(`expected a slot, got ${JSON.stringify(grant)}`);
  return grant.release;
};

describe('start slots', () => {
  it('grants slots up to the limit, then in arrival order across functions', async () => {
    const slots = new StartSlots(2);
    const first = released(await slots.take('a'));
    released(await slots.take('a'));
    const order: string[] = [];
    const [b, a, c] = ['b', 'a', 'c'].map((key) =>
      slots.take(key).then((grant) => {
        order.push(key);
        return grant;
      }),
    ) as [Promise<StartGrant>, Promise<StartGrant>, Promise<StartGrant>];
    expect(slots.waiting).toBe(3);
    first();
    first(); // a release is idempotent: one slot, one grant
    await Promise.resolve();
    expect(order).toEqual(['b']);
    released(await b)();
    await a;
    expect(order).toEqual(['b', 'a']);
    slots.close();
    expect(await c).toEqual({ closed: true });
  });

  it('hands a freed environment to the first waiting start of its own function only', async () => {
    const slots = new StartSlots(1);
    released(await slots.take('a'));
    const b = slots.take('b');
    const a = slots.take('a');
    const environment = { id: 'env' } as unknown as Environment;
    expect(slots.offer('c', environment)).toBe(false);
    expect(slots.offer('a', environment)).toBe(true);
    expect(await a).toEqual({ environment });
    expect(slots.waiting).toBe(1);
    slots.close();
    expect(await b).toEqual({ closed: true });
  });
});
