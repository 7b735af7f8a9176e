/** The shape check of a plan received over HTTP, before anything is applied. */
import { InvalidParameterValue } from '../shared/errors.js';
import type { StackPlan } from './plan.js';

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
const LISTS = [
  'functions',
  'buckets',
  'queues',
  'streams',
  'tables',
  'topics',
  'notifications',
  'mappings',
  'schedules',
  'subscriptions',
  'warnings',
] as const;

/**
 * Checks the parts of a plan the apply steps rely on: the stack name, the lists, each function's
 * name and package. Names themselves are checked by the services that create them.
 * @throws InvalidParameterValue naming the part at fault.
 */
export function checkPlan(plan: StackPlan): void {
  if (!plan || typeof plan !== 'object') throw new InvalidParameterValue('the plan must be an object');
  if (typeof plan.stack !== 'string' || !STACK_NAME.test(plan.stack)) {
    throw new InvalidParameterValue('stack must start with a letter and hold only letters, digits and - (128 at most)');
  }
  if (plan.kind !== 'sam' && plan.kind !== 'serverless')
    throw new InvalidParameterValue('kind must be sam or serverless');
  for (const key of LISTS) if (!Array.isArray(plan[key])) throw new InvalidParameterValue(`${key} must be a list`);
  if (!plan.packages || typeof plan.packages !== 'object')
    throw new InvalidParameterValue('packages must be an object');
  const names = new Set<string>();
  for (const fn of plan.functions) {
    if (typeof fn?.name !== 'string' || typeof fn.handler !== 'string' || typeof fn.runtime !== 'string') {
      throw new InvalidParameterValue('each function needs a name, a handler and a runtime');
    }
    if (names.has(fn.name)) throw new InvalidParameterValue(`function ${fn.name} is in the plan twice`);
    names.add(fn.name);
    if (typeof fn.packageId !== 'string' || typeof plan.packages[fn.packageId] !== 'string') {
      throw new InvalidParameterValue(`function ${fn.name} has no package in the plan`);
    }
    if (!fn.environment || typeof fn.environment !== 'object') {
      throw new InvalidParameterValue(`function ${fn.name}: environment must be an object`);
    }
    if (fn.reservedConcurrency !== null && !Number.isInteger(fn.reservedConcurrency)) {
      throw new InvalidParameterValue(`function ${fn.name}: reservedConcurrency must be a whole number or null`);
    }
    if (fn.deadLetterTargetArn !== undefined && typeof fn.deadLetterTargetArn !== 'string') {
      throw new InvalidParameterValue(`function ${fn.name}: deadLetterTargetArn must be a string`);
    }
  }
  for (const key of ['buckets', 'queues', 'streams', 'tables', 'topics'] as const) {
    for (const resource of plan[key]) strings(resource, ['name'], key);
  }
  for (const table of plan.tables) {
    if (!Array.isArray(table.keySchema) || !Array.isArray(table.attributeDefinitions)) {
      throw new InvalidParameterValue(`table ${table.name}: keySchema and attributeDefinitions must be lists`);
    }
  }
  for (const n of plan.notifications) {
    strings(n, ['bucket', 'function'], 'notifications');
    if (!Array.isArray(n.events)) throw new InvalidParameterValue('notifications: events must be a list');
  }
  for (const m of plan.mappings) {
    strings(m, ['function'], 'mappings');
    if (!m.source || !['stream', 'table', 'queue'].includes(m.source.type) || typeof m.source.name !== 'string') {
      throw new InvalidParameterValue('mappings: source must be { type: stream|table|queue, name }');
    }
  }
  for (const schedule of plan.schedules) strings(schedule, ['name', 'function', 'expression'], 'schedules');
  for (const subscription of plan.subscriptions) strings(subscription, ['topic', 'function'], 'subscriptions');
}

function strings(entry: unknown, keys: string[], list: string): void {
  for (const key of keys) {
    if (typeof (entry as Record<string, unknown> | null)?.[key] !== 'string') {
      throw new InvalidParameterValue(`${list}: each entry needs a string ${key}`);
    }
  }
}
