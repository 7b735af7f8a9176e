/**
 * Applying a plan's events: S3 notifications, event source mappings, schedules, SNS subscriptions
 * and function URLs. Each is found by what it is (a notification by its stack id, a mapping by
 * function and source, a schedule by name), so a deploy interrupted halfway converges when rerun;
 * what the previous record holds and the plan does not is deleted.
 */
import type { LambdaFunctionConfiguration } from '../events/index.js';
import type { LambdataError } from '../shared/errors.js';
import type { PlannedMapping, StackChange, StackPlan, StackRecord } from './plan.js';
import type { StacksOptions } from './stacks.js';

type Services = StacksOptions;
type EventRecord = Pick<StackRecord, 'notifications' | 'mappings' | 'schedules' | 'subscriptions' | 'urls'>;

/** What applying the events leaves: the record's part for them and the functions' URLs. */
export interface AppliedEvents {
  record: EventRecord;
  urls: Record<string, string>;
}

/** Applies every event of the plan, then deletes the previous deploy's ones the plan dropped. */
export async function applyEvents(
  plan: StackPlan,
  previous: StackRecord,
  s: Services,
  endpoint: string,
  changes: StackChange[],
): Promise<AppliedEvents> {
  const record: EventRecord = {
    notifications: applyNotifications(plan, previous, s, changes),
    mappings: await applyMappings(plan, previous, s, changes),
    schedules: applySchedules(plan, previous, s, changes),
    subscriptions: applySubscriptions(plan, previous, s, changes),
    urls: [],
  };
  const urls: Record<string, string> = {};
  for (const fn of plan.functions) {
    if (!fn.url) continue;
    const existing = s.functionUrls.find(fn.name);
    const input = { authType: fn.url.authType, ...(fn.url.cors ? { cors: fn.url.cors } : {}) };
    if (!existing) s.functionUrls.create(fn.name, input);
    else if (existing.authType !== input.authType || JSON.stringify(existing.cors) !== JSON.stringify(input.cors)) {
      s.functionUrls.update(fn.name, input);
    }
    const same =
      existing && existing.authType === input.authType && JSON.stringify(existing.cors) === JSON.stringify(input.cors);
    changes.push({ action: !existing ? 'created' : same ? 'unchanged' : 'updated', type: 'url', name: fn.name });
    record.urls.push(fn.name);
    urls[fn.name] = `${endpoint.replace(/\/$/, '')}/_lambdata/url/${encodeURIComponent(fn.name)}/`;
  }
  for (const name of previous.urls.filter((n) => !record.urls.includes(n))) {
    if (!s.functionUrls.find(name)) continue;
    s.functionUrls.delete(name);
    changes.push({ action: 'deleted', type: 'url', name });
  }
  return { record, urls };
}

/** The id of a stack's notification configurations: a stack name holds no `:`, so no stack's prefix is another's. */
function notificationPrefix(stack: string): string {
  return `lambdata-stack:${stack}:`;
}

function applyNotifications(
  plan: StackPlan,
  previous: StackRecord,
  s: Services,
  changes: StackChange[],
): Record<string, string[]> {
  const prefix = notificationPrefix(plan.stack);
  const buckets = new Set([...plan.notifications.map((n) => n.bucket), ...Object.keys(previous.notifications)]);
  const existing = new Set(s.objects.listBuckets().map((b) => b.name));
  const record: Record<string, string[]> = {};
  for (const bucket of buckets) {
    if (!existing.has(bucket)) continue;
    const current = s.notifications.getConfiguration(bucket);
    const others = current.lambdaFunctionConfigurations.filter((c) => !c.id?.startsWith(prefix));
    const before = current.lambdaFunctionConfigurations.filter((c) => c.id?.startsWith(prefix));
    const ours: LambdaFunctionConfiguration[] = plan.notifications
      .filter((n) => n.bucket === bucket)
      .map((n, i) => ({
        id: `${prefix}${i}`,
        functionArn: s.functions.get(n.function).arn,
        events: n.events,
        ...(n.prefix !== undefined || n.suffix !== undefined
          ? { filter: { ...(n.prefix ? { prefix: n.prefix } : {}), ...(n.suffix ? { suffix: n.suffix } : {}) } }
          : {}),
      }));
    const same = JSON.stringify(normalized(before)) === JSON.stringify(normalized(ours));
    if (!same) {
      s.notifications.putConfiguration(bucket, {
        lambdaFunctionConfigurations: [...others, ...ours],
        ...(current.topicConfigurations ? { topicConfigurations: current.topicConfigurations } : {}),
      });
    }
    const action = same ? 'unchanged' : ours.length === 0 ? 'deleted' : before.length === 0 ? 'created' : 'updated';
    if (ours.length > 0 || before.length > 0) changes.push({ action, type: 'notification', name: bucket });
    if (ours.length > 0) record[bucket] = ours.map((c) => c.id as string);
  }
  return record;
}

function normalized(configs: LambdaFunctionConfiguration[]): unknown {
  return configs.map((c) => ({
    id: c.id,
    functionArn: c.functionArn,
    events: c.events,
    prefix: c.filter?.prefix ?? '',
    suffix: c.filter?.suffix ?? '',
  }));
}

async function applyMappings(
  plan: StackPlan,
  previous: StackRecord,
  s: Services,
  changes: StackChange[],
): Promise<StackRecord['mappings']> {
  const kept: StackRecord['mappings'] = [];
  for (const mapping of plan.mappings) {
    const sourceArn = s.mappings.sourceArn(mapping.source.type, mapping.source.name);
    const label = `${mapping.function} ← ${mapping.source.type} ${mapping.source.name}`;
    const found = s.mappings.list({ eventSourceArn: sourceArn }).find((m) => m.functionName === mapping.function);
    if (!found) {
      const created = s.mappings.create({
        functionName: mapping.function,
        eventSourceArn: sourceArn,
        ...patchOf(mapping),
        ...(mapping.startingPosition ? { startingPosition: mapping.startingPosition } : {}),
      });
      kept.push({ uuid: created.uuid, function: mapping.function, sourceArn });
      changes.push({ action: 'created', type: 'mapping', name: label });
      continue;
    }
    const patch = patchOf(mapping);
    const differs = Object.entries(patch).some(
      ([key, value]) => (found as unknown as Record<string, unknown>)[key] !== value,
    );
    if (differs) await s.mappings.update(found.uuid, patch);
    kept.push({ uuid: found.uuid, function: mapping.function, sourceArn });
    changes.push({ action: differs ? 'updated' : 'unchanged', type: 'mapping', name: label });
  }
  for (const old of previous.mappings) {
    if (kept.some((m) => m.uuid === old.uuid)) continue;
    try {
      await s.mappings.delete(old.uuid);
      changes.push({ action: 'deleted', type: 'mapping', name: `${old.function} ← ${old.sourceArn}` });
    } catch (err) {
      if ((err as LambdataError).code !== 'ResourceNotFoundException') throw err;
    }
  }
  return kept;
}

function patchOf(mapping: PlannedMapping): {
  batchSize?: number;
  maximumBatchingWindowInSeconds?: number;
  enabled: boolean;
} {
  return {
    ...(mapping.batchSize !== undefined ? { batchSize: mapping.batchSize } : {}),
    ...(mapping.maximumBatchingWindowInSeconds !== undefined
      ? { maximumBatchingWindowInSeconds: mapping.maximumBatchingWindowInSeconds }
      : {}),
    enabled: mapping.enabled !== false,
  };
}

function applySchedules(plan: StackPlan, previous: StackRecord, s: Services, changes: StackChange[]): string[] {
  const current = new Map(s.schedules.list().map((schedule) => [schedule.name, schedule]));
  for (const schedule of plan.schedules) {
    const existing = current.get(schedule.name);
    const same =
      existing &&
      existing.expression === schedule.expression &&
      existing.functionName === schedule.function &&
      (existing.input ?? undefined) === schedule.input;
    if (same) {
      changes.push({ action: 'unchanged', type: 'schedule', name: schedule.name });
      continue;
    }
    if (existing) s.schedules.remove(schedule.name);
    s.schedules.add({
      name: schedule.name,
      expression: schedule.expression,
      functionName: schedule.function,
      ...(schedule.input !== undefined ? { input: schedule.input } : {}),
    });
    changes.push({ action: existing ? 'updated' : 'created', type: 'schedule', name: schedule.name });
  }
  const names = plan.schedules.map((schedule) => schedule.name);
  for (const name of previous.schedules) {
    if (names.includes(name) || !current.has(name)) continue;
    s.schedules.remove(name);
    changes.push({ action: 'deleted', type: 'schedule', name });
  }
  return names;
}

function applySubscriptions(plan: StackPlan, previous: StackRecord, s: Services, changes: StackChange[]): string[] {
  const arns: string[] = [];
  for (const { topic, function: fn } of plan.subscriptions) {
    const topicArn = s.topics.topicArn(topic);
    const endpoint = s.functions.get(fn).arn;
    const existed = s.topics
      .listSubscriptions(topicArn)
      .some((sub) => sub.protocol === 'lambda' && sub.endpoint === endpoint);
    const sub = s.topics.subscribe(topicArn, 'lambda', endpoint);
    arns.push(sub.arn);
    changes.push({ action: existed ? 'unchanged' : 'created', type: 'subscription', name: `${fn} ← ${topic}` });
  }
  for (const arn of previous.subscriptions) {
    if (arns.includes(arn)) continue;
    try {
      s.topics.unsubscribe(arn);
      changes.push({ action: 'deleted', type: 'subscription', name: arn });
    } catch (err) {
      if ((err as LambdataError).status !== 404) throw err;
    }
  }
  return arns;
}
