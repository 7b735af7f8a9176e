import { PACKAGE_LIMITS } from '../../invoke/index.js';
import { InvalidParameterValue } from '../../shared/errors.js';
import type { StackPlan } from '../../templates/index.js';
import { readJsonObject, sendJson } from '../http.js';
import type { Route, RouteContext } from '../router.js';
import type { StackAnswer, StackList } from './contract.js';

/** A plan carries its packages (each once, however many functions share it) as base64. */
const MAX_PLAN_REQUEST = Math.ceil((PACKAGE_LIMITS.zippedBytes * 4) / 3) + 1024 * 1024;

/** Stacks deployed from templates: GET /stacks, GET/PUT/DELETE /stacks/:name. */
export const routes: Route[] = [
  {
    method: 'GET',
    path: '/stacks',
    handler: ({ engine, res }) => sendJson(res, 200, { stacks: engine.stacks.list() } satisfies StackList),
  },
  {
    method: 'GET',
    path: '/stacks/:name',
    handler: ({ engine, res, params }) => sendJson(res, 200, engine.stacks.get(params.name ?? '')),
  },
  { method: 'PUT', path: '/stacks/:name', handler: applyStack },
  {
    method: 'DELETE',
    path: '/stacks/:name',
    handler: async ({ engine, res, params }) =>
      sendJson(res, 200, (await engine.stacks.delete(params.name ?? '')) satisfies StackAnswer),
  },
];

/** PUT: applies the plan in the body (its `stack` must be the path's name). */
async function applyStack({ engine, req, res, params }: RouteContext): Promise<void> {
  const plan = await readJsonObject<StackPlan>(req, MAX_PLAN_REQUEST);
  if (plan.stack !== params.name) throw new InvalidParameterValue('the plan names another stack than the path');
  sendJson(res, 200, (await engine.stacks.apply(plan)) satisfies StackAnswer);
}
