import { randomUUID } from 'node:crypto';
import { InvalidParameterValue, ResourceConflict, ResourceNotFound } from '../shared/errors.js';
import { ACCOUNT_ID } from '../shared/ids.js';
import { type Db, migrate } from '../state/db.js';

/** One statement of a function's resource-based policy, in IAM's policy JSON shape. */
export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: '*' | { AWS: string } | { Service: string };
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

/** A function's (or one version's or alias's) resource-based policy. */
export interface FunctionPolicy {
  Version: '2012-10-17';
  Id: 'default';
  Statement: PolicyStatement[];
}

/** What AddPermission takes. */
export interface PermissionInput {
  statementId: string;
  action: string;
  principal: string;
  sourceArn?: string;
  sourceAccount?: string;
  eventSourceToken?: string;
  principalOrgId?: string;
  functionUrlAuthType?: string;
}

/** Who is asking to do what, for `allows`. */
export interface PolicyRequest {
  action: string;
  /** The caller's account id. */
  account: string;
  /** The function URL's auth type, when the request came through one. */
  functionUrlAuthType?: string;
}

const STATEMENT_ID = /^[a-zA-Z0-9_.-]{1,100}$/;
const ACTION = /^(lambda:\*|lambda:[a-zA-Z]+|\*)$/;
const ACCOUNT = /^\d{12}$/;
const ACCOUNT_PRINCIPAL = /^arn:aws[\w-]*:iam::(\d{12}):(root|role\/.+|user\/.+)$/;
const SERVICE_PRINCIPAL = /^[a-z0-9.-]+\.amazon(aws)?\.com$/;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS invoke_function_policies (
  function_name TEXT NOT NULL REFERENCES invoke_functions(name) ON DELETE CASCADE,
  qualifier TEXT NOT NULL,
  statements TEXT NOT NULL,
  revision_id TEXT NOT NULL,
  PRIMARY KEY (function_name, qualifier)
);`;

/**
 * Resource-based policies of functions (AddPermission, RemovePermission, GetPolicy), durable in
 * SQLite and deleted with their function. A policy belongs to the unqualified function or to one
 * version or alias (`qualifier`).
 */
export class FunctionPolicies {
  #db: Db;

  constructor(db: Db) {
    this.#db = db;
    migrate(db, SCHEMA);
  }

  /**
   * Adds a statement for `resource` (the function ARN the policy is on).
   * @throws ResourceConflictException for a statement id in use; InvalidParameterValueException for bad input;
   * PreconditionFailed (via `checkRevision`) when `revisionId` is stale.
   */
  add(
    functionName: string,
    qualifier: string,
    resource: string,
    input: PermissionInput,
    checkRevision?: (current: string | undefined) => void,
  ): { statement: PolicyStatement; revisionId: string } {
    const statement = toStatement(resource, input);
    return this.#db.transaction(() => {
      const current = this.#row(functionName, qualifier);
      checkRevision?.(current?.revisionId);
      const statements = current?.statements ?? [];
      if (statements.some((s) => s.Sid === input.statementId)) {
        throw new ResourceConflict(
          'The statement id (sid) provided already exists. Please provide a new statement id, or remove the existing statement.',
        );
      }
      const revisionId = this.#write(functionName, qualifier, [...statements, statement]);
      return { statement, revisionId };
    })();
  }

  /** Removes a statement. @throws ResourceNotFoundException when the policy has no such statement. */
  remove(
    functionName: string,
    qualifier: string,
    statementId: string,
    checkRevision?: (current: string | undefined) => void,
  ): void {
    this.#db.transaction(() => {
      const current = this.#row(functionName, qualifier);
      checkRevision?.(current?.revisionId);
      const statements = current?.statements ?? [];
      if (!statements.some((s) => s.Sid === statementId)) {
        throw new ResourceNotFound(`Statement ${statementId} is not found in resource policy.`);
      }
      const rest = statements.filter((s) => s.Sid !== statementId);
      if (rest.length) this.#write(functionName, qualifier, rest);
      else this.forget(functionName, qualifier);
    })();
  }

  /** The policy and its revision. @throws ResourceNotFoundException when it has no statement. */
  get(functionName: string, qualifier: string): { policy: FunctionPolicy; revisionId: string } {
    const row = this.#row(functionName, qualifier);
    if (!row) throw new ResourceNotFound('The resource you requested does not exist.');
    return { policy: { Version: '2012-10-17', Id: 'default', Statement: row.statements }, revisionId: row.revisionId };
  }

  /** Drops the policy of a deleted version or alias. */
  forget(functionName: string, qualifier: string): void {
    this.#db
      .prepare('DELETE FROM invoke_function_policies WHERE function_name = ? AND qualifier = ?')
      .run(functionName, qualifier);
  }

  /**
   * True when the policy grants `request`: a statement whose action, principal and conditions all
   * match. The account's own callers need no statement (IAM in the account decides for them).
   */
  allows(functionName: string, qualifier: string, request: PolicyRequest): boolean {
    if (request.account === ACCOUNT_ID) return true;
    const statements = this.#row(functionName, qualifier)?.statements ?? [];
    return statements.some((s) => grants(s, request));
  }

  #row(functionName: string, qualifier: string): { statements: PolicyStatement[]; revisionId: string } | undefined {
    const row = this.#db
      .prepare('SELECT statements, revision_id FROM invoke_function_policies WHERE function_name = ? AND qualifier = ?')
      .get(functionName, qualifier) as { statements: string; revision_id: string } | undefined;
    return row
      ? { statements: JSON.parse(row.statements) as PolicyStatement[], revisionId: row.revision_id }
      : undefined;
  }

  #write(functionName: string, qualifier: string, statements: PolicyStatement[]): string {
    const revisionId = randomUUID();
    this.#db
      .prepare(
        `INSERT INTO invoke_function_policies (function_name, qualifier, statements, revision_id) VALUES (?, ?, ?, ?)
         ON CONFLICT(function_name, qualifier) DO UPDATE SET statements = excluded.statements, revision_id = excluded.revision_id`,
      )
      .run(functionName, qualifier, JSON.stringify(statements), revisionId);
    return revisionId;
  }
}

/** The policy statement AddPermission writes, as AWS shapes it. @throws InvalidParameterValueException */
export function toStatement(resource: string, input: PermissionInput): PolicyStatement {
  if (!STATEMENT_ID.test(input.statementId ?? '')) {
    throw new InvalidParameterValue(
      `StatementId: '${input.statementId}' must be 1-100 letters, digits, hyphens, underscores or dots`,
    );
  }
  if (!ACTION.test(input.action ?? '')) {
    throw new InvalidParameterValue(`Action: '${input.action}' must be lambda:<Operation>, lambda:* or *`);
  }
  const condition: Record<string, Record<string, string>> = {};
  const equals = (key: string, value: string) => {
    condition.StringEquals = { ...condition.StringEquals, [key]: value };
  };
  if (input.sourceAccount !== undefined) {
    if (!ACCOUNT.test(input.sourceAccount)) {
      throw new InvalidParameterValue(`SourceAccount: '${input.sourceAccount}' must be a 12-digit account id`);
    }
    equals('AWS:SourceAccount', input.sourceAccount);
  }
  if (input.eventSourceToken !== undefined) equals('lambda:EventSourceToken', input.eventSourceToken);
  if (input.principalOrgId !== undefined) equals('aws:PrincipalOrgID', input.principalOrgId);
  if (input.functionUrlAuthType !== undefined) {
    if (input.functionUrlAuthType !== 'NONE' && input.functionUrlAuthType !== 'AWS_IAM') {
      throw new InvalidParameterValue(`FunctionUrlAuthType: '${input.functionUrlAuthType}' must be NONE or AWS_IAM`);
    }
    equals('lambda:FunctionUrlAuthType', input.functionUrlAuthType);
  }
  if (input.sourceArn !== undefined) {
    if (!input.sourceArn.startsWith('arn:'))
      throw new InvalidParameterValue(`SourceArn: '${input.sourceArn}' is not an ARN`);
    condition.ArnLike = { 'AWS:SourceArn': input.sourceArn };
  }
  return {
    Sid: input.statementId,
    Effect: 'Allow',
    Principal: toPrincipal(input.principal),
    Action: input.action,
    Resource: resource,
    ...(Object.keys(condition).length ? { Condition: condition } : {}),
  };
}

function toPrincipal(principal: string | undefined): PolicyStatement['Principal'] {
  if (principal === '*') return '*';
  if (principal && ACCOUNT.test(principal)) return { AWS: `arn:aws:iam::${principal}:root` };
  if (principal && ACCOUNT_PRINCIPAL.test(principal)) return { AWS: principal };
  if (principal && SERVICE_PRINCIPAL.test(principal)) return { Service: principal };
  throw new InvalidParameterValue('The provided principal was invalid. Please check the principal and try again.');
}

function grants(statement: PolicyStatement, request: PolicyRequest): boolean {
  const action = statement.Action;
  if (action !== '*' && action !== 'lambda:*' && action !== request.action) return false;
  const principal = statement.Principal;
  const account =
    principal === '*' ? undefined : 'AWS' in principal ? ACCOUNT_PRINCIPAL.exec(principal.AWS)?.[1] : null;
  if (account === null || (account !== undefined && account !== request.account)) return false;
  const { StringEquals = {}, ...others } = statement.Condition ?? {};
  // A condition on anything but the URL's auth type (a source ARN, an org) cannot hold for a direct caller.
  if (Object.keys(others).length) return false;
  for (const [key, value] of Object.entries(StringEquals)) {
    if (key !== 'lambda:FunctionUrlAuthType' || value !== request.functionUrlAuthType) return false;
  }
  return true;
}
