import { dirname } from 'node:path';
import type { EngineContext } from '../shared/context.js';
import { distPath, packagePath } from '../shared/paths.js';
import { RUNTIME_FAMILIES, runtimeFamily } from './runtimes.js';
import { INSIDE } from './sandbox.js';
import type { RuntimeFunction } from './types.js';

/** Functions stored before runtimes were checked by family run as Node. */
const NODE_FAMILY = RUNTIME_FAMILIES[0] as (typeof RUNTIME_FAMILIES)[number];
/** PATH inside a sandbox, where only the system's own directories exist. */
const SANDBOX_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The only variables a blank pre-started runtime gets before it is handed a function. */
export function blankEnvironment(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', LANG: 'en_US.UTF-8', TZ: ':UTC' };
}

/**
 * The complete environment of one function's execution environment: its own variables plus the
 * standard AWS_* / LAMBDA_* ones pointing back at the engine — never the engine's process.env.
 * Reserved names win over the function's own, as AWS does not let a function set them. Paths are
 * as the environment sees them: inside a namespace sandbox (`sandboxed`) the runtime lives under
 * /opt/lambdata and the code at /var/task, as on AWS.
 */
export function functionEnvironment(
  fn: RuntimeFunction,
  context: EngineContext,
  envId: string,
  tmpDir: string,
  sandboxed = false,
): Record<string, string> {
  const hostPath = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  const env: Record<string, string> = {
    PATH: sandboxed ? `${dirname(INSIDE.node)}:${SANDBOX_PATH}` : hostPath,
    LANG: 'en_US.UTF-8',
    NODE_PATH: sandboxed ? INSIDE.nodeModules : packagePath('node_modules'),
    // A sandbox's users have no passwd entry, so os.homedir() (which the AWS SDK calls) needs HOME.
    ...(sandboxed ? { HOME: INSIDE.tmp } : {}),
    ...fn.environment,
    TZ: ':UTC',
    TMPDIR: tmpDir,
    AWS_REGION: context.region,
    AWS_DEFAULT_REGION: context.region,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_FUNCTION_VERSION: fn.version,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName(fn.version, envId),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    _HANDLER: fn.handler,
    LAMBDA_TASK_ROOT: sandboxed ? INSIDE.task : fn.codeDir,
    LAMBDA_RUNTIME_DIR: sandboxed ? `${INSIDE.dist}/runtime` : dirname(distPath('runtime/bootstrap.js')),
    AWS_ENDPOINT_URL: context.endpoint(),
    AWS_ACCESS_KEY_ID: context.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: context.credentials.secretAccessKey,
  };
  const executionEnv = (runtimeFamily(fn.runtime) ?? NODE_FAMILY).executionEnv(fn.runtime);
  if (executionEnv) env.AWS_EXECUTION_ENV = executionEnv;
  return env;
}

/** `2026/11/24/[$LATEST]<envId>`, the stream name AWS gives an environment. */
export function logStreamName(version: string, envId: string): string {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  return `${day}/[${version}]${envId}`;
}
