/**
 * A page from another origin, in a real browser, tries everything a page can send without asking
 * (text/plain and no-cors fetches, form posts, a cross-origin PUT) against a server without a token:
 * nothing is deployed, invoked or created. The same calls from the server's own origin work.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/browser.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const CALLER = fileURLToPath(new URL('../fixtures/security/caller', import.meta.url));

let t: TestServer;
let attacker: Server;
let attackerUrl: string;
let browser: Browser;

/** The attacking page: every attempt, then `document.title = 'done'`. */
function attackPage(target: string): string {
  const api = `${target}/_lambdata`;
  const zip = 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=='; // an empty zip
  return `<!doctype html><html><body>
<iframe name="sink"></iframe>
<form id="invoke" method="post" enctype="text/plain" target="sink" action="${api}/functions/slow/invoke">
  <input name='{"ms":1,"x":"' value='"}'></form>
<form id="stream" method="post" target="sink" action="${api}/streams"><input name="name" value="evil"></form>
<script>
(async () => {
  const tries = [
    () => fetch('${api}/functions/slow/invoke', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"ms":1}' }),
    () => fetch('${api}/functions/slow/invoke', { method: 'POST', mode: 'no-cors', body: '{"ms":1}' }),
    () => fetch('${api}/streams', { method: 'POST', mode: 'no-cors', body: '{"name":"evil"}' }),
    () => fetch('${api}/functions/evil', { method: 'PUT', mode: 'cors', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handler: 'index.handler', code: { dir: '/etc' } }) }),
    () => fetch('${api}/functions/evil', { method: 'PUT', mode: 'cors', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handler: 'index.handler', code: { zipBase64: '${zip}' } }) }),
  ];
  for (const attempt of tries) await attempt().catch(() => undefined);
  for (const id of ['invoke', 'stream']) {
    const loaded = new Promise((resolve) => document.querySelector('iframe').addEventListener('load', resolve, { once: true }));
    document.getElementById(id).submit();
    await loaded;
  }
  document.title = 'done';
})();
</script></body></html>`;
}

async function invocationsOf(name: string): Promise<unknown[]> {
  const res = await fetch(`${t.url}/_lambdata/invocations?function=${name}`);
  return ((await res.json()) as { invocations: unknown[] }).invocations;
}

beforeAll(async () => {
  t = await startTestServer('browser-origin');
  await t.engine.functions.create({ name: 'slow', handler: 'index.slow', code: { dir: CALLER } });
  attacker = createServer((_req, res) => {
    const html = attackPage(t.url);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(html) });
    res.end(html);
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  // Another port of the same host name: a different origin, the "same site" for the browser.
  attackerUrl = `http://localhost:${(attacker.address() as AddressInfo).port}/`;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await t?.close();
});

describe('a page from another origin', () => {
  it('cannot invoke, deploy or create anything through fetch or form posts', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(attackerUrl);
      await page.waitForFunction(() => document.title === 'done', undefined, { timeout: 20_000 });
    } finally {
      await page.close();
    }
    expect(await invocationsOf('slow')).toEqual([]);
    expect(t.engine.functions.has('evil')).toBe(false);
    expect((await fetch(`${t.url}/_lambdata/streams`).then((r) => r.json())) as unknown).toMatchObject({
      streams: [],
    });
  });

  it('while the server’s own origin (the dashboard) invokes with the same request', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${t.url}/_lambdata/ui/`);
      const status = await page.evaluate(
        async () =>
          (
            await fetch('/_lambdata/functions/slow/invoke', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: '{"ms":1}',
            })
          ).status,
      );
      expect(status).toBe(200);
    } finally {
      await page.close();
    }
    expect(await invocationsOf('slow')).toHaveLength(1);
  });
});
