import { sendJson } from '../http.js';
import type { Route } from '../router.js';

/** Health and engine-wide figures. */
export const routes: Route[] = [
  {
    method: 'GET',
    path: '/health',
    handler: ({ res, engine }) =>
      sendJson(res, 200, { status: 'ok', dataDir: engine.dataDir, sandbox: engine.runtime.sandbox }),
  },
  {
    method: 'GET',
    path: '/runtime',
    handler: ({ res, engine }) => sendJson(res, 200, engine.runtime.stats()),
  },
];
