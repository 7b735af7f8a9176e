/** AWS SDK clients aimed at a chaos server, and deploying the recording handlers in test/chaos/fixtures. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { zipSync } from 'fflate';
import { AWS_TEST_CONFIG } from '../helpers/aws.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

/** The three clients a scenario needs. No SDK retries: a request the engine did not answer is unacknowledged. */
export function clients(endpoint: string): {
  s3: S3Client;
  lambda: LambdaClient;
  kinesis: KinesisClient;
  destroy(): void;
} {
  const config = { endpoint, ...AWS_TEST_CONFIG, maxAttempts: 1 };
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const lambda = new LambdaClient(config);
  const kinesis = new KinesisClient(config);
  return {
    s3,
    lambda,
    kinesis,
    destroy() {
      s3.destroy();
      lambda.destroy();
      kinesis.destroy();
    },
  };
}

/** Deploys `test/chaos/fixtures/<fixture>/index.cjs` as `name` through the Lambda API. */
export async function deployFixture(
  lambda: LambdaClient,
  name: string,
  fixture: string,
  environment: Record<string, string> = {},
): Promise<void> {
  const zip = zipSync({ 'index.cjs': readFileSync(join(FIXTURES, fixture, 'index.cjs')) });
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Role: 'arn:aws:iam::000000000000:role/chaos',
      Handler: 'index.handler',
      Timeout: 30,
      MemorySize: 256,
      Code: { ZipFile: zip },
      Environment: { Variables: environment },
    }),
  );
}
