/**
 * Templates: SAM/CloudFormation and serverless.yml read into a resolved stack plan (on the CLI's
 * side, where the template and its code are), and stacks applied from plans (on the server's).
 */
export { TemplateInvalid } from './errors.js';
export { type PlanOptions, planTemplate } from './load.js';
export type {
  PlannedFunction,
  PlannedMapping,
  StackChange,
  StackPlan,
  StackRecord,
  StackResult,
} from './plan.js';
export { Stacks, type StacksOptions } from './stacks.js';
