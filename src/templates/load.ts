/** Reading a template file (SAM/CloudFormation or serverless.yml) into a stack plan. */
import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { TemplateInvalid } from './errors.js';
import type { StackPlan } from './plan.js';
import type { StackSite } from './resources.js';
import { planSam } from './sam.js';
import { planServerless, serviceOf } from './serverless.js';
import { readDocument } from './yaml-document.js';

/** What `planTemplate` takes besides the file. */
export interface PlanOptions {
  /** The stack's name; default `<service>-<stage>` (serverless.yml) or the template directory's name. */
  stackName?: string;
  parameters?: Record<string, string>;
  stage?: string;
  env?: Record<string, string | undefined>;
  site: Omit<StackSite, 'stack'>;
}

/** A stack name as CloudFormation takes it. */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/**
 * The plan of the template in `file`; code paths are resolved against its directory.
 * @throws TemplateInvalid (ValidationError) for an unreadable or invalid template, naming what is wrong.
 */
export function planTemplate(file: string, options: PlanOptions): StackPlan {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new TemplateInvalid(`cannot read the template ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
      cause: err,
    });
  }
  const doc = readDocument(text, file);
  const dir = dirname(path);
  const serverless = /^serverless\.(ya?ml|json)$/.test(basename(path)) || ('service' in doc && 'provider' in doc);
  const base = {
    dir,
    parameters: options.parameters ?? {},
    ...(options.stage ? { stage: options.stage } : {}),
    env: options.env ?? {},
  };
  let stack = options.stackName;
  if (!stack) {
    if (serverless) {
      const { service, stage } = serviceOf(doc, { ...base, site: { ...options.site, stack: '' } });
      stack = `${service}-${stage}`;
    } else {
      stack =
        basename(dir)
          .replace(/[^A-Za-z0-9-]/g, '-')
          .replace(/^[^A-Za-z]+/, '') || 'stack';
    }
  }
  if (!STACK_NAME.test(stack)) {
    throw new TemplateInvalid(
      `stack name ${JSON.stringify(stack)} must start with a letter and hold only letters, digits and -`,
    );
  }
  const site = { ...options.site, stack };
  return serverless ? planServerless(doc, { ...base, site }) : planSam(doc, { ...base, site });
}
