import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { planTemplate } from '../templates/index.js';
import { notForTargets } from './template-target.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** The plan of a SAM template holding one function, with `extra` lines under its Properties. */
function planOf(extra: string) {
  dir = mkdtempSync(join(tmpdir(), 'lambdata-template-target-'));
  writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => ({});\n');
  const file = join(dir, 'template.yaml');
  writeFileSync(
    file,
    `Transform: AWS::Serverless-2016-10-31
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: worker
      Runtime: nodejs20.x
      Handler: index.handler
      CodeUri: ./
${extra}`,
  );
  return planTemplate(file, {
    stackName: 'orders',
    site: { region: 'us-east-1', accountId: '000000000000', endpoint: 'http://127.0.0.1:1' },
  });
}

describe('notForTargets', () => {
  it('lets a function-only template through', () => {
    expect(notForTargets(planOf(''))).toEqual([]);
  });

  it('names a function dead-letter queue instead of dropping it on the way to a target', () => {
    const plan = planOf(
      '      DeadLetterQueue:\n        Type: SQS\n        TargetArn: arn:aws:sqs:us-east-1:000000000000:failures\n',
    );
    expect(notForTargets(plan)).toEqual(['dead-letter queue of worker (arn:aws:sqs:us-east-1:000000000000:failures)']);
  });
});
