import { sendJson } from '../http.js';
import type { Route, RouteContext } from '../router.js';
import type { DeletedAnswer } from './contract.js';

/**
 * DELETE /_lambdata/jobs/:id: deletes a finished job or pipeline (records, events, manifest and
 * intermediates; its outputs stay). 404 for an unknown id, 409 while it runs.
 */
export const routes: Route[] = [{ method: 'DELETE', path: '/jobs/:id', handler: deleteJob }];

async function deleteJob({ engine, res, params }: RouteContext): Promise<void> {
  await engine.jobs.delete(params.id ?? '');
  sendJson(res, 200, { deleted: params.id } satisfies DeletedAnswer);
}
