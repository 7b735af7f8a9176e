import { describe, expect, it } from 'vitest';
import { RuntimeApi } from './runtime-api.js';

describe('Runtime API', () => {
  it('answers only requests that carry its environment secret (other functions share the loopback)', async () => {
    for (const blank of [false, true]) {
      const api = await RuntimeApi.listen(blank);
      try {
        const [hostPort, secret] = api.address.split('/');
        expect(secret).toMatch(/^[0-9a-f]{32}$/);
        for (const path of ['/2018-06-01/runtime/invocation/next', '/2018-06-01/runtime/lambdata/handoff']) {
          const guessed = await fetch(`http://${hostPort}${path}`);
          expect(guessed.status).toBe(403);
          expect(await guessed.text()).not.toContain(secret);
        }
        const wrong = await fetch(`http://${hostPort}/${'0'.repeat(32)}/2018-06-01/runtime/invocation/next`);
        expect(wrong.status).toBe(403);
        // With the secret the path is served: an unknown one is a 404 of the Runtime API itself.
        const known = await fetch(`http://${api.address}/2018-06-01/runtime/nope`);
        expect(known.status).toBe(404);
      } finally {
        api.close();
      }
    }
  });
});
