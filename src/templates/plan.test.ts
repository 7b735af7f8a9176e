import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { planTemplate } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/templates/', import.meta.url));
const site = { region: 'eu-west-1', accountId: '000000000000', endpoint: 'http://127.0.0.1:4566' };
const scratch = mkdtempSync(join(tmpdir(), 'lambdata-templates-unit-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Plans `body` written as a template beside a `src/` that does not exist unless the template says so. */
function planText(body: string, options: Partial<Parameters<typeof planTemplate>[1]> = {}) {
  const file = join(scratch, 'template.yaml');
  writeFileSync(file, body);
  return planTemplate(file, { stackName: 'unit', site, ...options });
}

describe('SAM templates', () => {
  it('resolve Ref, GetAtt, Sub, Join, Select, Split, pseudo parameters, Parameters and Globals', () => {
    const plan = planTemplate(join(FIXTURES, 'thumbnail/template.yaml'), {
      stackName: 'photos',
      parameters: { Stage: 'prod' },
      site,
    });
    expect(plan.buckets.map((b) => b.name)).toEqual(['photos-uploads-prod', 'photos-thumbnailbucket']);
    const fn = plan.functions.find((f) => f.logicalId === 'ThumbnailFunction');
    expect(fn).toMatchObject({
      name: 'photos-ThumbnailFunction',
      handler: 'thumbnail.handler',
      runtime: 'nodejs20.x',
      memoryMb: 256,
      timeoutS: 10,
      environment: {
        STAGE: 'prod',
        DEST_BUCKET: 'photos-thumbnailbucket',
        SOURCE_ARN: 'arn:aws:s3:::photos-uploads-prod',
        WIDTH: '64',
        LABEL: 'photos-thumb-eu-west-1',
      },
      codePath: join(FIXTURES, 'thumbnail/src'),
    });
    expect(plan.notifications).toEqual([
      {
        bucket: 'photos-uploads-prod',
        function: 'photos-ThumbnailFunction',
        events: ['s3:ObjectCreated:*'],
        prefix: 'photos/',
      },
      { bucket: 'photos-uploads-prod', function: 'photos-AuditFunction', events: ['s3:ObjectCreated:*'] },
    ]);
    expect(plan.warnings.join('\n')).toMatch(/ThumbnailFunction: Layers are ignored/);
    expect(plan.warnings.join('\n')).toMatch(/ThumbnailRole \(AWS::IAM::Role\)/);
  });

  it('map Kinesis events to mappings, FindInMap and NoValue, HttpApi events to function URLs', () => {
    const stream = planTemplate(join(FIXTURES, 'stream-to-table/template.yaml'), { stackName: 'clicks', site });
    expect(stream.mappings).toEqual([
      {
        function: 'clicks-Consumer',
        source: { type: 'stream', name: 'clicks-clicks' },
        batchSize: 50,
        startingPosition: 'TRIM_HORIZON',
      },
    ]);
    expect(stream.functions[0]?.reservedConcurrency).toBe(2);
    expect(stream.functions[0]?.environment.TABLE_ARN).toBe(
      'arn:aws:dynamodb:eu-west-1:000000000000:table/clicks-page-counts',
    );
    const api = planTemplate(join(FIXTURES, 'api/template.yaml'), {
      stackName: 'web',
      parameters: { Language: 'fr' },
      site,
    });
    expect(api.functions[0]).toMatchObject({
      name: 'web-hello',
      environment: { GREETING: 'Bonjour' },
      url: { authType: 'NONE' },
    });
    expect(api.functions[0]?.environment).not.toHaveProperty('DEBUG');
  });

  it('read both forms of !Sub, escaped literals and long forms', () => {
    const plan = planText(`
Resources:
  Q:
    Type: AWS::SQS::Queue
  F:
    Type: AWS::Lambda::Function
    Properties:
      Code: .
      Handler: index.handler
      Runtime: nodejs20.x
      Environment:
        Variables:
          A: !Sub ['\${Q}|\${Name}|\${!Literal}', { Name: !GetAtt Q.QueueName }]
          B: { 'Fn::Join': [':', [{ Ref: 'AWS::AccountId' }, { 'Fn::GetAtt': [Q, Arn] }]] }
`);
    expect(plan.functions[0]?.environment).toEqual({
      A: `http://127.0.0.1:4566/000000000000/unit-Q|unit-Q|\${Literal}`,
      B: '000000000000:arn:aws:sqs:eu-west-1:000000000000:unit-Q',
    });
  });

  it('refuse unknown intrinsics, cycles, missing CodeUri and parameters, naming the resource', () => {
    const fn = (props: string) => `
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: nodejs20.x
${props}`;
    expect(() => planText(fn('      CodeUri: .\n      Description: !Frobnicate x'))).toThrow(
      /Resources\.F.*unknown intrinsic/,
    );
    expect(() => planText(fn('      CodeUri: .\n      Description: { "Fn::Frobnicate": x }'))).toThrow(
      /Resources\.F\.Properties\.Description: unknown intrinsic function Fn::Frobnicate/,
    );
    expect(() => planText(fn('      Description: x'))).toThrow(/Resources\.F: CodeUri is missing/);
    expect(() => planText(fn('      CodeUri: ./nowhere'))).toThrow(/Resources\.F: its code \.\/nowhere does not exist/);
    expect(() => planText(`Parameters:\n  P: { Type: String }\n${fn('      CodeUri: .')}`)).toThrow(
      /Parameter P has no Default; give it with --parameter-overrides P=/,
    );
    expect(() =>
      planText(`
Resources:
  A:
    Type: AWS::S3::Bucket
    Properties: { BucketName: !Sub '\${B}-a' }
  B:
    Type: AWS::SQS::Queue
    Properties: { QueueName: !GetAtt C.QueueName }
  C:
    Type: AWS::SQS::Queue
    Properties: { QueueName: !Ref A }
`),
    ).toThrow(/Circular dependency between resources: A → B → C → A/);
  });
});

describe('serverless.yml', () => {
  it('resolves self, env, opt and sls variables with fallbacks and nesting', () => {
    const plan = planTemplate(join(FIXTURES, 'serverless-thumbnail/serverless.yml'), {
      stage: 'test',
      env: { THUMB_LABEL: 'from-env' },
      site,
    });
    expect(plan.stack).toBe('thumbs-test');
    expect(plan.kind).toBe('serverless');
    expect(plan.buckets.map((b) => b.name).sort()).toEqual(['thumbs-test-thumbnails', 'thumbs-test-uploads']);
    expect(plan.functions[0]).toMatchObject({
      name: 'thumbs-test-thumbnail',
      handler: 'handlers/thumbnail.handler',
      memoryMb: 512,
      timeoutS: 10,
      environment: { STAGE: 'test', LABEL: 'from-env', DEST_BUCKET: 'thumbs-test-thumbnails', WIDTH: '32' },
      codePath: join(FIXTURES, 'serverless-thumbnail'),
    });
    expect(plan.functions[1]).toMatchObject({ name: 'thumbs-test-hello', memoryMb: 256, url: { authType: 'NONE' } });
    expect(plan.notifications).toEqual([
      {
        bucket: 'thumbs-test-uploads',
        function: 'thumbs-test-thumbnail',
        events: ['s3:ObjectCreated:*'],
        prefix: 'photos/',
      },
    ]);
    const dev = planTemplate(join(FIXTURES, 'serverless-thumbnail/serverless.yml'), { site });
    expect(dev.stack).toBe('thumbs-dev');
    expect(dev.functions[0]?.environment).toMatchObject({ LABEL: 'no-label', WIDTH: '64' });
  });

  it('refuses unsupported variable sources and variables with no value', () => {
    const yml = (env: string) =>
      `service: s\nprovider:\n  name: aws\n  runtime: nodejs20.x\nfunctions:\n  f:\n    handler: index.handler\n    environment:\n      X: ${env}\n`;
    const file = join(scratch, 'serverless.yml');
    writeFileSync(file, yml(`\${ssm:/db/password}`));
    expect(() => planTemplate(file, { site })).toThrow(
      /functions\.f\.environment\.X: variable source ssm: is not supported/,
    );
    writeFileSync(file, yml(`\${env:LAMBDATA_TEST_UNSET_VARIABLE}`));
    expect(() => planTemplate(file, { site, env: {} })).toThrow(/\$\{env:LAMBDATA_TEST_UNSET_VARIABLE\} has no value/);
  });
});
