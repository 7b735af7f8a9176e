/** Credentials and region every AWS client in the tests uses (the engine accepts any key pair). */
export const AWS_TEST_CONFIG = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
} as const;
