/**
 * `lambdata deploy --template FILE --target NAME`: a template's functions deployed to a scale-out
 * target (AWS Lambda or a compatible endpoint) through the server's target routes. Only functions go:
 * anything else the template holds (resources, events, URLs, reserved concurrency) is refused up
 * front, named, before anything is deployed (docs/TEMPLATES.md says why and what to do).
 */
import type { RemoteFunction, TargetDeployRequest, TargetList } from '../api/native/contract.js';
import type { StackPlan } from '../templates/index.js';
import type { CliContext } from './command.js';
import { prettyJson, table } from './format.js';

/** Lambda's /tmp size unless configured: a target deploy sets no other. */
const DEFAULT_EPHEMERAL_MB = 512;

/** The region and account id a template's pseudo parameters resolve to on `target`, or undefined when it is not added. */
export async function targetSite(
  target: string,
  ctx: CliContext,
): Promise<{ region: string; endpoint?: string } | undefined> {
  const { targets } = await ctx.client.get<TargetList>('/targets');
  const config = targets.find((t) => t.name === target);
  return config ? { region: config.region, ...(config.endpoint ? { endpoint: config.endpoint } : {}) } : undefined;
}

/** What in a plan cannot go to a target, one line each (empty: only functions). */
export function notForTargets(plan: StackPlan): string[] {
  const out = [
    ...plan.buckets.map((b) => `bucket ${b.name}`),
    ...plan.queues.map((q) => `queue ${q.name}`),
    ...plan.streams.map((s) => `stream ${s.name}`),
    ...plan.tables.map((t) => `table ${t.name}`),
    ...plan.topics.map((t) => `topic ${t.name}`),
    ...plan.notifications.map((n) => `S3 event ${n.bucket} → ${n.function}`),
    ...plan.mappings.map((m) => `event source mapping ${m.source.type} ${m.source.name} → ${m.function}`),
    ...plan.schedules.map((s) => `schedule ${s.name} → ${s.function}`),
    ...plan.subscriptions.map((s) => `SNS subscription ${s.topic} → ${s.function}`),
  ];
  for (const fn of plan.functions) {
    if (fn.url) out.push(`function URL of ${fn.name}`);
    if (fn.reservedConcurrency !== null) out.push(`reserved concurrency of ${fn.name}`);
    // The target deploy carries no DeadLetterConfig: refused rather than dropped silently.
    if (fn.deadLetterTargetArn) out.push(`dead-letter queue of ${fn.name} (${fn.deadLetterTargetArn})`);
    if (fn.ephemeralStorageMb !== undefined && fn.ephemeralStorageMb !== DEFAULT_EPHEMERAL_MB)
      out.push(`ephemeral storage of ${fn.name} (${fn.ephemeralStorageMb} MB)`);
  }
  return out;
}

/**
 * Deploys the plan's functions (packages already in `plan.packages`) to `target`, one after another,
 * each waited until Active. Answers the exit code.
 */
export async function deployPlanToTarget(
  plan: StackPlan,
  target: string,
  options: { json?: boolean; roleArn?: string },
  ctx: CliContext,
): Promise<number> {
  const refused = notForTargets(plan);
  if (refused.length > 0) {
    ctx.err(
      `lambdata deploy: InvalidParameterValueException: only functions go to a target; template ${plan.stack} also holds:\n` +
        refused.map((line) => `  ${line}\n`).join('') +
        `Create those on the target with its own tools (sam deploy, CloudFormation), or deploy the template locally (without --target). Nothing was deployed.\n`,
    );
    return 1;
  }
  for (const warning of plan.warnings) ctx.err(`warning: ${warning}\n`);
  const deployed: RemoteFunction[] = [];
  for (const fn of plan.functions) {
    const body: TargetDeployRequest = {
      zipBase64: plan.packages[fn.packageId as string] as string,
      handler: fn.handler,
      runtime: fn.runtime,
      environment: fn.environment,
      ...(fn.memoryMb !== undefined ? { memoryMb: fn.memoryMb } : {}),
      ...(fn.timeoutS !== undefined ? { timeoutS: fn.timeoutS } : {}),
      ...(fn.description !== undefined ? { description: fn.description } : {}),
      ...(options.roleArn ? { roleArn: options.roleArn } : {}),
    };
    const path = `/targets/${encodeURIComponent(target)}/functions/${encodeURIComponent(fn.name)}`;
    deployed.push(await ctx.client.put<RemoteFunction>(path, body));
  }
  if (options.json) {
    ctx.out(prettyJson({ stack: plan.stack, target, functions: deployed }));
    return 0;
  }
  ctx.out(`stack ${plan.stack} on target ${target}\n`);
  ctx.out(
    table(
      ['ACTION', 'TYPE', 'NAME', 'STATE'],
      deployed.map((fn) => [fn.created ? 'created' : 'updated', 'function', fn.name, fn.state]),
    ),
  );
  return 0;
}
