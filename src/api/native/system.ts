import { ACCOUNT_ID } from '../../shared/ids.js';
import { eventLoopDelay } from '../event-loop.js';
import { sendJson } from '../http.js';
import type { Route } from '../router.js';
import type { HealthAnswer, RuntimeAnswer } from './contract.js';

/** Health and engine-wide figures. */
export const routes: Route[] = [
  {
    method: 'GET',
    path: '/health',
    handler: ({ res, engine }) =>
      sendJson(res, 200, {
        status: 'ok',
        dataDir: engine.dataDir,
        sandbox: engine.runtime.sandbox,
        region: engine.context.region,
        accountId: ACCOUNT_ID,
        eventLoopDelayMs: eventLoopDelay(),
      } satisfies HealthAnswer),
  },
  {
    method: 'GET',
    path: '/runtime',
    handler: ({ res, engine }) => sendJson(res, 200, engine.runtime.stats() satisfies RuntimeAnswer),
  },
];
