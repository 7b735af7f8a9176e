import type { TargetConfig, TargetList, TargetRequest } from '../api/native/contract.js';
import { type Command, defineCommand, UsageError } from './command.js';
import { keyValues, prettyJson, table } from './format.js';

const USAGE = [
  'lambdata targets add <name> --region R [--profile P] [--endpoint URL] [--role-arn ARN] [--code-bucket B] [--architecture x86_64|arm64]',
  '       lambdata targets ls [--json]',
  '       lambdata targets rm <name>',
].join('\n');

/**
 * `lambdata targets add|ls|rm`: named AWS targets for `deploy --target` and `run --target`. The server
 * keeps region, profile, endpoint and role; credentials come from the server's own AWS chain.
 */
const targets = defineCommand({
  name: 'targets',
  summary: 'Add, list, remove scale-out targets (AWS Lambda and S3)',
  usage: USAGE,
  options: {
    region: { type: 'string' },
    profile: { type: 'string' },
    endpoint: { type: 'string' },
    'role-arn': { type: 'string' },
    'code-bucket': { type: 'string' },
    architecture: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    const [sub = 'ls', name, ...extra] = positionals;
    if (extra.length) throw new UsageError('too many arguments');
    if (sub === 'ls' || sub === 'list') {
      const { targets: rows } = await ctx.client.get<TargetList>('/targets');
      if (values.json) ctx.out(prettyJson(rows));
      else
        ctx.out(
          table(
            ['NAME', 'REGION', 'PROFILE', 'ENDPOINT', 'ROLE', 'ARCH'],
            [
              ['local', '-', '-', '(this server)', '-', '-'],
              ...rows.map((t) => [
                t.name,
                t.region,
                t.profile ?? '(default chain)',
                t.endpoint ?? '(AWS)',
                t.roleArn ?? '-',
                t.architecture,
              ]),
            ],
          ),
        );
      return 0;
    }
    if (!name) throw new UsageError(`${sub} needs a target name`);
    const path = `/targets/${encodeURIComponent(name)}`;
    if (sub === 'add') {
      const region = values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
      if (!region) throw new UsageError('--region is required (or AWS_REGION): the AWS region of the target');
      const body: TargetRequest = { region };
      if (values.profile) body.profile = values.profile;
      if (values.endpoint) body.endpoint = values.endpoint;
      if (values['role-arn']) body.roleArn = values['role-arn'];
      if (values['code-bucket']) body.codeBucket = values['code-bucket'];
      if (values.architecture) body.architecture = values.architecture;
      const target = await ctx.client.put<TargetConfig>(path, body);
      ctx.out(values.json ? prettyJson(target) : keyValues({ ...target }));
      return 0;
    }
    if (sub === 'rm' || sub === 'remove') {
      await ctx.client.delete(path);
      ctx.err(`removed target ${name} (functions and objects on it are left alone)\n`);
      return 0;
    }
    throw new UsageError(`unknown subcommand '${sub}'`);
  },
});

/** Target commands. */
export const commands: Command[] = [targets];
