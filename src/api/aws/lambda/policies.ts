import type { PermissionInput } from '../../../invoke/index.js';
import { InvalidParameterValue } from '../../../shared/errors.js';
import { sendJson } from '../../http.js';
import type { RouteContext } from '../../router.js';
import { RevisionMismatch } from './errors.js';
import { inputShapes, readInput } from './inputs.js';
import { parseFunctionName } from './names.js';
import { optionalString } from './shapes.js';

const POLICY_REQUEST_LIMIT = 64 * 1024;

/** AddPermission: POST /2015-03-31/functions/{name}/policy (201 `{Statement}` as JSON text). */
export async function addPermission(ctx: RouteContext): Promise<void> {
  const { engine, req, res } = ctx;
  const target = policyTarget(ctx);
  const body = await readInput(req, inputShapes.AddPermission, POLICY_REQUEST_LIMIT);
  const input: PermissionInput = {
    statementId: required(body, 'StatementId'),
    action: required(body, 'Action'),
    principal: required(body, 'Principal'),
  };
  const optional = {
    sourceArn: 'SourceArn',
    sourceAccount: 'SourceAccount',
    eventSourceToken: 'EventSourceToken',
    principalOrgId: 'PrincipalOrgID',
    functionUrlAuthType: 'FunctionUrlAuthType',
  } as const;
  for (const [field, member] of Object.entries(optional)) {
    const value = optionalString(body, member);
    if (value !== undefined) input[field as keyof typeof optional] = value;
  }
  const { statement } = engine.functions.policies.add(
    target.name,
    target.qualifier,
    target.resource,
    input,
    revisionCheck(optionalString(body, 'RevisionId')),
  );
  sendJson(res, 201, { Statement: JSON.stringify(statement) });
}

/** GetPolicy: GET /2015-03-31/functions/{name}/policy (`{Policy, RevisionId}`; 404 without statements). */
export function getPolicy(ctx: RouteContext): void {
  const target = policyTarget(ctx);
  const { policy, revisionId } = ctx.engine.functions.policies.get(target.name, target.qualifier);
  sendJson(ctx.res, 200, { Policy: JSON.stringify(policy), RevisionId: revisionId });
}

/** RemovePermission: DELETE /2015-03-31/functions/{name}/policy/{sid} (204). */
export function removePermission(ctx: RouteContext): void {
  const target = policyTarget(ctx);
  const revision = ctx.url.searchParams.get('RevisionId') || undefined;
  ctx.engine.functions.policies.remove(target.name, target.qualifier, ctx.params.sid ?? '', revisionCheck(revision));
  ctx.res.writeHead(204);
  ctx.res.end();
}

/** The function (checked to exist, with its version or alias) a policy request is about, and its ARN. */
function policyTarget({ engine, url, params }: RouteContext): { name: string; qualifier: string; resource: string } {
  const { name, qualifier } = parseFunctionName(params.name ?? '', url.searchParams.get('Qualifier'));
  if (qualifier === '$LATEST') throw new InvalidParameterValue('Qualifier: $LATEST cannot have its own policy');
  const fn = engine.functions.get(name, qualifier);
  const resource = qualifier ? engine.functions.aliases.arn(fn.name, qualifier) : fn.arn;
  return { name: fn.name, qualifier: qualifier ?? '', resource };
}

function revisionCheck(expected: string | undefined): ((current: string | undefined) => void) | undefined {
  if (!expected) return undefined;
  return (current) => {
    if (current !== expected) throw new RevisionMismatch();
  };
}

function required(body: Record<string, unknown>, member: string): string {
  const value = optionalString(body, member);
  if (!value) throw new InvalidParameterValue(`${member} is required`);
  return value;
}
