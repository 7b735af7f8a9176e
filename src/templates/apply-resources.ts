/** Applying a plan's data resources and functions through the engine's services. */
import { createHash } from 'node:crypto';
import type { StackChange, StackPlan, StackRecord } from './plan.js';
import type { StacksOptions } from './stacks.js';

type Services = StacksOptions;

/**
 * Creates the buckets, queues, streams, tables and topics that do not exist yet and updates queue
 * attributes; ones the previous deploy had and this plan does not are kept (with their data).
 */
export function applyDataResources(plan: StackPlan, previous: StackRecord, s: Services, changes: StackChange[]): void {
  const buckets = new Set(s.objects.listBuckets().map((b) => b.name));
  for (const { name } of plan.buckets) {
    if (!buckets.has(name)) s.objects.createBucket(name);
    changes.push({ action: buckets.has(name) ? 'unchanged' : 'created', type: 'bucket', name });
  }
  for (const { name, attributes } of plan.queues) {
    if (!s.queues.hasQueue(name)) {
      s.queues.createQueue(name, attributes);
      changes.push({ action: 'created', type: 'queue', name });
      continue;
    }
    const current = s.queues.getAttributes(name);
    const { FifoQueue: _fifo, ...settable } = attributes;
    const differs = Object.entries(settable).some(([key, value]) => current[key] !== value);
    if (differs) s.queues.setAttributes(name, settable);
    changes.push({ action: differs ? 'updated' : 'unchanged', type: 'queue', name });
  }
  for (const { name, shardCount } of plan.streams) {
    const exists = s.streams.hasStream(name);
    if (!exists) s.streams.createStream(name, { shardCount });
    changes.push({ action: exists ? 'unchanged' : 'created', type: 'stream', name });
  }
  const tables = new Set(s.tables.listTables());
  for (const table of plan.tables) {
    if (!tables.has(table.name)) {
      s.tables.createTable({
        tableName: table.name,
        keySchema: table.keySchema,
        attributeDefinitions: table.attributeDefinitions,
        ...(table.streamViewType
          ? { streamSpecification: { streamEnabled: true, streamViewType: table.streamViewType } }
          : {}),
      });
      if (table.timeToLiveAttribute) {
        s.tables.updateTimeToLive(table.name, { enabled: true, attributeName: table.timeToLiveAttribute });
      }
    }
    changes.push({ action: tables.has(table.name) ? 'unchanged' : 'created', type: 'table', name: table.name });
  }
  const topics = new Set(s.topics.listTopics().map((t) => t.name));
  for (const { name } of plan.topics) {
    if (!topics.has(name)) s.topics.createTopic(name, name.endsWith('.fifo') ? { FifoTopic: 'true' } : {});
    changes.push({ action: topics.has(name) ? 'unchanged' : 'created', type: 'topic', name });
  }
  const kept = (type: StackChange['type'], before: string[], now: Array<{ name: string }>) => {
    for (const name of before) if (!now.some((r) => r.name === name)) changes.push({ action: 'kept', type, name });
  };
  kept('bucket', previous.buckets, plan.buckets);
  kept('queue', previous.queues, plan.queues);
  kept('stream', previous.streams, plan.streams);
  kept('table', previous.tables, plan.tables);
  kept('topic', previous.topics, plan.topics);
}

/**
 * Creates or updates each function: configuration when it differs, code when its digest differs
 * (the package goes through the same packager as any deploy), reserved concurrency when it differs.
 */
export async function applyFunctions(plan: StackPlan, s: Services, changes: StackChange[]): Promise<void> {
  for (const fn of plan.functions) {
    const zip = Buffer.from(plan.packages[fn.packageId ?? ''] ?? '', 'base64');
    const config = {
      handler: fn.handler,
      runtime: fn.runtime,
      environment: fn.environment,
      ...(fn.memoryMb !== undefined ? { memoryMb: fn.memoryMb } : {}),
      ...(fn.timeoutS !== undefined ? { timeoutS: fn.timeoutS } : {}),
      ...(fn.ephemeralStorageMb !== undefined ? { ephemeralStorageMb: fn.ephemeralStorageMb } : {}),
      ...(fn.description !== undefined ? { description: fn.description } : {}),
      // '' removes a target a previous deploy set.
      deadLetterTargetArn: fn.deadLetterTargetArn ?? '',
    };
    if (!s.functions.has(fn.name)) {
      await s.functions.create({
        name: fn.name,
        ...config,
        code: { zip },
        reservedConcurrency: fn.reservedConcurrency,
      });
      changes.push({ action: 'created', type: 'function', name: fn.name });
      continue;
    }
    const current = s.functions.get(fn.name) as unknown as Record<string, unknown>;
    const patch = Object.fromEntries(
      Object.entries(config).filter(
        ([key, value]) =>
          JSON.stringify(key === 'deadLetterTargetArn' ? (current[key] ?? '') : current[key]) !== JSON.stringify(value),
      ),
    );
    let changed = false;
    if (Object.keys(patch).length > 0) {
      s.functions.updateConfig(fn.name, patch);
      changed = true;
    }
    if (current.codeSha256 !== createHash('sha256').update(zip).digest('base64')) {
      await s.functions.updateCode(fn.name, { zip });
      changed = true;
    }
    if (s.functions.settings(fn.name).reservedConcurrency !== fn.reservedConcurrency) {
      s.functions.putConcurrency(fn.name, fn.reservedConcurrency);
      changed = true;
    }
    changes.push({ action: changed ? 'updated' : 'unchanged', type: 'function', name: fn.name });
  }
}
