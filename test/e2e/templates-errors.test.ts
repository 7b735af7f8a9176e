import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLambdata } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let t: TestServer;
const dir = mkdtempSync(join(tmpdir(), 'lambdata-template-errors-'));

beforeAll(async () => {
  t = await startTestServer('templates-errors');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src/index.mjs'), 'export const handler = async () => 1;\n');
});

afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Deploys `body` as template.yaml beside src/; the CLI's exit code and stderr. */
async function deploy(body: string, ...extra: string[]): Promise<{ code: number; stderr: string }> {
  const file = join(dir, 'template.yaml');
  writeFileSync(file, body);
  const out = await runLambdata(t.url, 'deploy', '--template', file, '--stack-name', 'broken', ...extra);
  return { code: out.code, stderr: out.stderr };
}

const fn = (properties: string) => `
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Runtime: nodejs20.x
${properties}
`;

describe('lambdata deploy --template refuses bad templates, naming the resource, and deploys nothing', () => {
  it.each([
    [
      'an unknown short-form intrinsic',
      fn('      CodeUri: src\n      Description: !Frobnicate x'),
      /Resources\.Worker\.Properties\.Description: unknown intrinsic function !Frobnicate/,
    ],
    [
      'an unknown long-form intrinsic',
      fn('      CodeUri: src\n      Timeout: { "Fn::Frobnicate": [1] }'),
      /Resources\.Worker\.Properties\.Timeout: unknown intrinsic function Fn::Frobnicate/,
    ],
    [
      'an intrinsic lambdata does not evaluate',
      fn('      CodeUri: src\n      Description: !ImportValue shared'),
      /Resources\.Worker\.Properties\.Description: Fn::ImportValue is not supported/,
    ],
    ['a missing CodeUri', fn(''), /Resources\.Worker: CodeUri is missing/],
    [
      'a CodeUri that is not there',
      fn('      CodeUri: ./build'),
      /Resources\.Worker: its code \.\/build does not exist/,
    ],
    [
      'a Ref to nothing',
      fn('      CodeUri: src\n      Description: !Ref Nowhere'),
      /Resources\.Worker\.Properties\.Description\.Ref: Nowhere is neither a parameter nor a resource/,
    ],
    [
      'a GetAtt of an unknown attribute',
      `${fn('      CodeUri: src\n      Description: !GetAtt Q.Color')}  Q:\n    Type: AWS::SQS::Queue\n`,
      /Q \(AWS::SQS::Queue\) has no attribute Color/,
    ],
    [
      'a cycle of references',
      `${fn('      CodeUri: src\n      Environment: { Variables: { Q: !Ref Q } }')}  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Sub '\${Worker}-q'\n`,
      /Circular dependency between resources: Worker → Q → Worker/,
    ],
    [
      'an S3 event on a bucket the template does not create',
      fn(
        '      CodeUri: src\n      Events:\n        Up:\n          Type: S3\n          Properties: { Bucket: elsewhere, Events: s3:ObjectCreated:* }',
      ),
      /Events\.Up\.Properties\.Bucket must be !Ref of an AWS::S3::Bucket/,
    ],
    [
      'a parameter with no value',
      `Parameters:\n  Size: { Type: Number }\n${fn('      CodeUri: src')}`,
      /Parameter Size has no Default; give it with --parameter-overrides Size=/,
    ],
    ['YAML that does not parse', 'Resources: [unclosed', /template\.yaml is not valid YAML/],
  ])('%s', async (_, body, message) => {
    const out = await deploy(body);
    expect(out.stderr).toMatch(/^lambdata deploy: ValidationError: /);
    expect(out.stderr).toMatch(message);
    expect(out.code).toBe(1);
    expect(t.engine.functions.list()).toEqual([]);
    expect(t.engine.stacks.list()).toEqual([]);
  });

  it('refuses an override of no parameter, and a value outside AllowedValues', async () => {
    const body = `Parameters:\n  Stage: { Type: String, Default: dev, AllowedValues: [dev, prod] }\n${fn('      CodeUri: src')}`;
    expect((await deploy(body, '--parameter-overrides', 'Stag=prod')).stderr).toMatch(
      /names Stag, which is no parameter/,
    );
    expect((await deploy(body, '--parameter-overrides', 'Stage=qa')).stderr).toMatch(
      /Parameter Stage must be one of dev, prod, not qa/,
    );
  });

  it('answers a malformed plan sent to the native route with 400 and the part at fault', async () => {
    const res = await fetch(`${t.url}/_lambdata/stacks/bad`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        stack: 'bad',
        kind: 'sam',
        functions: [{ name: 'f', handler: 'i.h', runtime: 'nodejs20.x' }],
        buckets: [],
        queues: [],
        streams: [],
        tables: [],
        topics: [],
        notifications: [],
        mappings: [],
        schedules: [],
        subscriptions: [],
        warnings: [],
        packages: {},
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'InvalidParameterValueException', message: 'function f has no package in the plan' },
    });
    const traversal = await fetch(`${t.url}/_lambdata/stacks/..%2Fx`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stack: '../x' }),
    });
    expect(traversal.status).toBe(400);
    expect((await fetch(`${t.url}/_lambdata/stacks/nothing`)).status).toBe(404);
  });
});
