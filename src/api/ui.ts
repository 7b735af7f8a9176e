/**
 * The dashboard's static files under /_lambdata/ui/. With a token, a browser logs in once by
 * visiting /_lambdata/ui/?token=T (or the small form served in its place), which sets an HttpOnly,
 * SameSite=Strict session cookie and redirects to the clean URL.
 */
import { createReadStream, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { distPath } from '../shared/paths.js';
import type { AccessControl } from './access.js';
import { sendJson } from './http.js';
import { decodePathParam } from './router.js';

/** Where the dashboard is served. */
export const UI_PREFIX = '/_lambdata/ui';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
};

/** Serves one dashboard request, or the sign-in form when the server has a token the browser has not shown. */
export function serveUi(req: IncomingMessage, res: ServerResponse, url: URL, access: AccessControl): void {
  const rest = url.pathname.slice(UI_PREFIX.length);
  if (access.required) {
    const offered = url.searchParams.get('token');
    if (offered !== null && access.isToken(offered)) {
      url.searchParams.delete('token');
      res.writeHead(303, {
        location: `${UI_PREFIX}${rest || '/'}${url.search}`,
        'set-cookie': access.sessionCookie(),
        'cache-control': 'no-store',
      });
      res.end();
      return;
    }
    if (!access.hasToken(req, url, { cookie: true })) {
      sendLogin(res, offered !== null);
      return;
    }
  }
  if (rest === '') {
    res.writeHead(301, { location: `${UI_PREFIX}/` });
    res.end();
    return;
  }
  const root = distPath('web');
  const relative = normalize(decodePathParam(rest === '/' ? '/index.html' : rest));
  if (relative.includes('..')) {
    sendJson(res, 400, { error: { code: 'BadPath', message: 'Invalid path' } });
    return;
  }
  let file = join(root, relative);
  let stat = statSync(file, { throwIfNoEntry: false });
  if (!stat?.isFile()) {
    // Client-side routes fall back to the app shell.
    file = join(root, 'index.html');
    stat = statSync(file, { throwIfNoEntry: false });
  }
  if (!stat?.isFile()) {
    sendJson(res, 404, { error: { code: 'NotFound', message: 'Dashboard not built: run npm run build' } });
    return;
  }
  res.writeHead(200, {
    'content-type': MIME[extname(file)] ?? 'application/octet-stream',
    'content-length': stat.size,
    'cache-control': 'no-cache',
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
}

function sendLogin(res: ServerResponse, wrong: boolean): void {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lambdata — sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 28rem; margin: 4rem auto">
<h1>lambdata</h1>
<p>${wrong ? 'That token is not this server’s. ' : ''}This server requires its access token (<code>lambdata serve --token</code>).</p>
<form method="get" action="${UI_PREFIX}/">
<label for="token">Token</label> <input id="token" name="token" type="password" autocomplete="off" required>
<button type="submit">Sign in</button>
</form>
<script>document.forms[0].action += location.hash;</script>
</body></html>
`;
  res.writeHead(401, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    'cache-control': 'no-store',
  });
  res.end(html);
}
