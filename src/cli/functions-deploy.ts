import type { DeployRequest, FunctionDetail, RemoteFunction, TargetDeployRequest } from '../api/native/contract.js';
// The limits module alone: the CLI client must not load the engine's modules.
import { PACKAGE_LIMITS } from '../invoke/limits.js';
import { defineCommand, UsageError } from './command.js';
import { keyValues, parseEnv, parsePositiveInt, prettyJson } from './format.js';
import { deployTemplate } from './stacks.js';

const USAGE = [
  'lambdata deploy <name> <dir|file.zip|file.jar> --handler index.handler [--runtime nodejs20.x] [--memory 256] [--timeout 30] [--storage 512] [--env K=V …] [--publish] [--description …] [--concurrency N] [--dlq QUEUE_OR_TOPIC_ARN|none] [--json]',
  '       lambdata deploy --template template.yaml|serverless.yml [--stack-name NAME] [--parameter-overrides K=V …] [--stage dev] [--target NAME [--role-arn ARN]] [--json]   (to a target: functions only)',
  '       lambdata deploy <name> <dir|file.zip> --handler index.handler --target NAME [--role-arn ARN] [--runtime …] [--memory …] [--timeout …] [--env K=V …] [--json]   (on a scale-out target: see lambdata targets)',
].join('\n');

/** `lambdata deploy`: zips a directory (or takes a .zip) and creates or updates the function. */
export const deploy = defineCommand({
  name: 'deploy',
  summary: 'Create or update a function from a directory or .zip, or a stack from a SAM or serverless.yml template',
  usage: USAGE,
  options: {
    handler: { type: 'string' },
    runtime: { type: 'string' },
    memory: { type: 'string' },
    timeout: { type: 'string' },
    storage: { type: 'string' },
    env: { type: 'string', multiple: true },
    publish: { type: 'boolean' },
    description: { type: 'string' },
    concurrency: { type: 'string' },
    dlq: { type: 'string' },
    json: { type: 'boolean' },
    target: { type: 'string' },
    'role-arn': { type: 'string' },
    template: { type: 'string' },
    'stack-name': { type: 'string' },
    'parameter-overrides': { type: 'string', multiple: true },
    stage: { type: 'string' },
  },
  async run({ values, positionals }, ctx) {
    if (values.template !== undefined) {
      if (positionals.length > 0) throw new UsageError('--template takes no <name> or <dir>: the template names them');
      return deployTemplate(
        {
          template: values.template,
          ...(values['stack-name'] ? { stackName: values['stack-name'] } : {}),
          ...(values['parameter-overrides'] ? { parameterOverrides: values['parameter-overrides'] } : {}),
          ...(values.stage ? { stage: values.stage } : {}),
          ...(values.json ? { json: true } : {}),
          ...(values.target ? { target: values.target } : {}),
          ...(values['role-arn'] ? { roleArn: values['role-arn'] } : {}),
        },
        ctx,
      );
    }
    const [name, source] = positionals;
    if (!name || !source || positionals.length > 2) throw new UsageError('expected <name> and <dir|file.zip>');
    const { packageSource } = await import('./package-source.js');
    const zip = packageSource(source);
    if (values.target && values.target !== 'local') {
      if (!values.handler) throw new UsageError('--handler is required for a deploy to a target');
      if (values.publish || values.concurrency !== undefined || values.storage || values.dlq !== undefined)
        throw new UsageError('--publish, --concurrency, --storage and --dlq apply to the local target only');
      const body: TargetDeployRequest = { zipBase64: Buffer.from(zip).toString('base64'), handler: values.handler };
      if (values.runtime) body.runtime = values.runtime;
      if (values.memory) body.memoryMb = parsePositiveInt(values.memory, '--memory');
      if (values.timeout) body.timeoutS = parsePositiveInt(values.timeout, '--timeout');
      if (values.env) body.environment = parseEnv(values.env);
      if (values.description !== undefined) body.description = values.description;
      if (values['role-arn']) body.roleArn = values['role-arn'];
      const path = `/targets/${encodeURIComponent(values.target)}/functions/${encodeURIComponent(name)}`;
      const fn = await ctx.client.put<RemoteFunction>(path, body);
      ctx.out(values.json ? prettyJson(fn) : keyValues({ ...fn }));
      return 0;
    }
    if (zip.length > PACKAGE_LIMITS.zippedBytes) {
      ctx.err(`lambdata deploy: the package is ${zip.length} bytes; the limit is ${PACKAGE_LIMITS.zippedBytes}\n`);
      return 1;
    }
    const body: DeployRequest = { code: { zipBase64: Buffer.from(zip).toString('base64') } };
    if (values.handler) body.handler = values.handler;
    if (values.runtime) body.runtime = values.runtime;
    if (values.memory) body.memoryMb = parsePositiveInt(values.memory, '--memory');
    if (values.timeout) body.timeoutS = parsePositiveInt(values.timeout, '--timeout');
    if (values.storage) body.ephemeralStorageMb = parsePositiveInt(values.storage, '--storage');
    if (values.env) body.environment = parseEnv(values.env);
    if (values.description !== undefined) body.description = values.description;
    if (values.publish) body.publish = true;
    // `none` removes the dead-letter target ('' is how the engine clears it).
    if (values.dlq !== undefined) body.deadLetterTargetArn = values.dlq === 'none' ? '' : values.dlq;
    if (values.concurrency !== undefined) {
      body.reservedConcurrency = parsePositiveInt(values.concurrency, '--concurrency', { allowZero: true });
    }
    const fn = await ctx.client.put<FunctionDetail>(`/functions/${encodeURIComponent(name)}`, body);
    if (values.json) {
      ctx.out(prettyJson(fn));
      return 0;
    }
    const { versions, eventInvokeConfig: _config, settings: _settings, ...config } = fn;
    const latest = versions?.at(-1)?.version;
    ctx.out(keyValues({ ...config, ...(latest && latest !== '$LATEST' ? { latestPublished: latest } : {}) }));
    return 0;
  },
});
