import { existsSync } from 'node:fs';
import type {
  BgzipAnswer,
  BgzipRequest,
  DeletedAnswer,
  JobEvent,
  JobList,
  JobRecord,
  JobSpec,
} from '../api/native/contract.js';
import { type CliContext, type Command, defineCommand, type ParsedArgs, UsageError } from './command.js';

const RUN_OPTIONS = {
  split: { type: 'string' },
  fanout: { type: 'string' },
  scatter: { type: 'boolean' },
  partitions: { type: 'string' },
  pattern: { type: 'string' },
  format: { type: 'string' },
  concurrency: { type: 'string' },
  json: { type: 'boolean' },
  logs: { type: 'boolean' },
  'no-wait': { type: 'boolean' },
  'no-live-progress': { type: 'boolean' },
  resume: { type: 'string' },
  rerun: { type: 'string' },
  stage: { type: 'string' },
  output: { type: 'string' },
  target: { type: 'string' },
} as const;
const JOBS_OPTIONS = { json: { type: 'boolean' }, block: { type: 'string' }, to: { type: 'string' } } as const;

/**
 * `lambdata run` submits a job and follows it (progress bar on a TTY's stderr, summary table at
 * the end, or the final record as one JSON document with --json); `lambdata jobs` lists, shows,
 * follows and deletes jobs, and converts inputs to the splittable bgzip format.
 */
export const commands: Command[] = [
  defineCommand({
    name: 'run',
    summary: 'Run a map-reduce or scatter job or a pipeline over objects (wordcount, wordfreq, grep, any function)',
    usage:
      'lambdata run <wordcount|wordfreq|grep|function|./myjob.ts|./pipeline.ts> s3://bucket/prefix [s3://bucket/key …] [--split 64MB] [--fanout 10] [--scatter] [--partitions 4] [--pattern RE] [--format auto|text|gzip|bgzip] [--concurrency 64] [--output s3://bucket/prefix] [--target NAME] [--logs] [--json] [--no-wait] [--no-live-progress]\n       lambdata run --resume <job-id> [--json]\n       lambdata run [./pipeline.ts] --rerun <job-id> --stage N [--json]   (redeploys the module first when given)',
    options: RUN_OPTIONS,
    run: runJob,
  }),
  defineCommand({
    name: 'jobs',
    summary: 'List jobs, show, follow or delete one, or write an object as splittable bgzip',
    usage:
      'lambdata jobs [ls|list] | jobs show <id> [--json] | jobs follow <id> | jobs delete <id> … | jobs bgzip s3://bucket/key [--block 4MB] [--to key]',
    options: JOBS_OPTIONS,
    run: jobsCommand,
  }),
];

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** Parses `64MB`, `512K`, `1GB`, `1000` (binary units: 1 MB = 1 MiB). @throws UsageError. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  const unit = m ? SIZE_UNITS[(m[2] ?? '').toUpperCase()] : undefined;
  if (!m || unit === undefined || Number(m[1]) <= 0) throw new UsageError(`not a size: ${text} (try 64MB)`);
  return Math.round(Number(m[1]) * unit);
}

/** Parses `s3://bucket/prefix` into bucket and key/prefix. @throws UsageError. */
export function parseS3Url(text: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(text);
  if (!m) throw new UsageError(`not an s3:// URL: ${text}`);
  return { bucket: m[1] as string, key: m[2] ?? '' };
}

async function runJob({ values, positionals }: ParsedArgs<typeof RUN_OPTIONS>, ctx: CliContext): Promise<number> {
  let job: JobRecord;
  if (values.stage !== undefined && !values.rerun) throw new UsageError('--stage N goes with --rerun <job-id>');
  if (values.rerun) {
    if (values.stage === undefined) throw new UsageError('--rerun <job-id> needs --stage N');
    const stage = positive('--stage', values.stage);
    const [module] = positionals;
    if (module) {
      if (!isModulePath(module)) throw new UsageError(`not a job module: ${module}`);
      await deployUserJob(module, ctx);
    }
    job = await ctx.client.post<JobRecord>(`/jobs/${encodeURIComponent(values.rerun)}/stages/${stage}/rerun`);
  } else if (values.resume) {
    // A job the server was running when it stopped resumes by itself when it starts again: follow it
    // (or show how it ended); only a failed one is started again.
    const path = `/jobs/${encodeURIComponent(values.resume)}`;
    const current = await ctx.client.get<JobRecord>(path);
    job = current.status === 'failed' ? await ctx.client.post<JobRecord>(`${path}/resume`) : current;
  } else {
    const [mapper, ...inputs] = positionals;
    if (!mapper || inputs.length === 0) throw new UsageError('a mapper and at least one s3:// input are required');
    const spec = buildSpec(mapper, inputs, values);
    if (isModulePath(mapper)) Object.assign(spec, await deployUserJob(mapper, ctx, spec.target));
    job = await ctx.client.post<JobRecord>('/jobs', spec.stages ? toPipeline(spec) : spec);
  }
  if (values['no-wait']) {
    ctx.out(values.json ? `${JSON.stringify(job)}\n` : `${job.id}\n`);
    return 0;
  }
  const final = await followJob(job.id, ctx, !values.json, values.logs === true);
  if (values.json) ctx.out(`${JSON.stringify(final)}\n`);
  else ctx.out(summary(final));
  return final.status === 'succeeded' ? 0 : 1;
}

/** A pipeline spec: the run options given on the command line apply to every stage. */
function toPipeline(spec: JobSpec): JobSpec {
  const { input, output, cluster, target, stages = [], mapper: _mapper, reducer: _reducer, ...perStage } = spec;
  return {
    mapper: stages[0]?.mapper as string,
    input,
    ...(output ? { output } : {}),
    ...(cluster ? { cluster } : {}),
    ...(target ? { target } : {}),
    stages: stages.map((stage) => ({ ...perStage, ...stage })),
  };
}

function isModulePath(text: string): boolean {
  return /\.[cm]?[jt]s$/.test(text) && existsSync(text);
}

/**
 * Bundles a user job module and deploys its mappers and reducers (one pair, or one per pipeline
 * stage); returns the spec fields that run them.
 */
async function deployUserJob(
  path: string,
  ctx: CliContext,
  target = 'local',
): Promise<Pick<JobSpec, 'mapper' | 'reducer' | 'stages'>> {
  // Loaded here, not at start: the bundler is needed only for a job module (the CLI starts in every job run).
  const { packageUserJob } = await import('../jobs/index.js');
  const pkg = await packageUserJob(path);
  for (const stage of pkg.stages) {
    for (const [name, zip] of [
      [stage.mapperName, stage.mapperZip],
      [stage.reducerName, stage.reducerZip],
    ] as const) {
      const settings = { handler: 'index.handler', memoryMb: 1024, timeoutS: 60 };
      // The same package goes to a scale-out target through its own deploy route.
      if (target === 'local')
        await ctx.client.put(`/functions/${encodeURIComponent(name)}`, {
          ...settings,
          code: { zipBase64: zip.toString('base64') },
        });
      else
        await ctx.client.put(`/targets/${encodeURIComponent(target)}/functions/${encodeURIComponent(name)}`, {
          ...settings,
          zipBase64: zip.toString('base64'),
        });
    }
  }
  const first = pkg.stages[0] as (typeof pkg.stages)[number];
  if (!pkg.pipeline) return { mapper: first.mapperName, reducer: first.reducerName };
  return {
    mapper: first.mapperName,
    stages: pkg.stages.map((s) => ({ mapper: s.mapperName, reducer: s.reducerName })),
  };
}

function buildSpec(mapper: string, inputs: string[], values: Record<string, string | boolean | undefined>): JobSpec {
  const urls = inputs.map(parseS3Url);
  const bucket = (urls[0] as { bucket: string }).bucket;
  if (urls.some((u) => u.bucket !== bucket)) throw new UsageError('all inputs must be in one bucket');
  const single = urls.length === 1 && (urls[0]?.key === '' || urls[0]?.key.endsWith('/'));
  const spec: JobSpec = {
    mapper,
    input:
      single || urls.length === 1 ? { bucket, prefix: urls[0]?.key ?? '' } : { bucket, keys: urls.map((u) => u.key) },
  };
  if (typeof values.split === 'string') spec.splitSize = parseSize(values.split);
  if (typeof values.fanout === 'string') spec.fanout = positive('--fanout', values.fanout);
  if (typeof values.partitions === 'string') spec.partitions = positive('--partitions', values.partitions);
  if (typeof values.concurrency === 'string') spec.concurrency = positive('--concurrency', values.concurrency);
  if (values.scatter) spec.mode = 'scatter';
  // Mappers report progress while they run unless asked not to (what a benchmark compares).
  if (values['no-live-progress']) spec.liveProgress = false;
  if (typeof values.format === 'string') spec.format = values.format as JobSpec['format'];
  if (typeof values.pattern === 'string') spec.params = { pattern: values.pattern };
  if (typeof values.target === 'string') spec.target = values.target;
  if (typeof values.output === 'string') {
    const out = parseS3Url(values.output);
    spec.output = { bucket: out.bucket, prefix: out.key && !out.key.endsWith('/') ? `${out.key}/` : out.key };
  }
  return spec;
}

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer`);
  return n;
}

/**
 * Follows a job's events to its end (drawing a progress bar on a TTY, and printing the log lines of its
 * invocations to stderr with `showLogs`) and returns the final record.
 */
async function followJob(id: string, ctx: CliContext, showProgress: boolean, showLogs = false): Promise<JobRecord> {
  const tty = showProgress && process.stderr.isTTY === true;
  let rate = 0;
  // Without a progress bar only warnings and log lines are shown: the server sends no other events.
  const types = tty ? '' : `?types=job.completed,job.failed${showProgress ? ',warning' : ''}${showLogs ? ',log' : ''}`;
  await ctx.client.stream(
    `/jobs/${encodeURIComponent(id)}/events${types}`,
    (_type, data) => {
      const event = data as JobEvent;
      if (event.type === 'progress') rate = event.bytesPerSecond;
      if (tty) ctx.err(`\r${progressLine(event, rate)}`);
      if (showProgress && event.type === 'warning') ctx.err(`\nwarning: ${event.message}\n`);
      if (showLogs && event.type === 'log') {
        ctx.err(`${tty ? '\n' : ''}${event.functionName} ${event.requestId} ${event.message.trimEnd()}\n`);
      }
      // The server ends the stream at the job's end; a resumed job replays its interruption's job.failed first.
      if (tty && (event.type === 'job.completed' || event.type === 'job.failed')) ctx.err('\n');
      return true;
    },
    undefined,
    (type) => tty || (showProgress && type === 'warning') || (showLogs && type === 'log'),
  );
  return ctx.client.get<JobRecord>(`/jobs/${encodeURIComponent(id)}`);
}

/**
 * One line of the progress bar: committed figures plus the running attempts' provisional ones, and
 * the engine's windowed rate (`bytesPerSecond` of the latest `progress` event).
 */
export function progressLine(event: JobEvent, bytesPerSecond: number): string {
  const c = event.counters;
  const bytes = c.bytes + (c.running?.bytes ?? 0);
  const keys = Math.min(c.keysDone + (c.running?.keys ?? 0), c.keysTotal ?? Number.POSITIVE_INFINITY);
  const fraction = c.bytesTotal ? Math.min(1, bytes / c.bytesTotal) : c.keysTotal ? keys / Math.max(1, c.keysTotal) : 0;
  const width = 24;
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  keys ${keys}/${c.keysTotal ?? '?'}  tasks ${c.tasksDone}/${c.tasksDispatched}  ${mb(bytes)}  ${(bytesPerSecond / 1024 ** 2).toFixed(1)} MB/s  $${c.costUsd.toFixed(6)}   `;
}

/** The final summary table. */
function summary(job: JobRecord): string {
  const rows: Array<[string, string]> = [
    ['job', job.id],
    ['status', job.status + (job.error ? ` (${job.error.code}: ${job.error.message})` : '')],
  ];
  const r = job.result;
  if (r) {
    rows.push(
      ['objects', String(r.objects)],
      ['words', String(r.totals.words)],
      ['lines', String(r.totals.lines)],
      ['bytes', `${r.totals.bytes} (${mb(r.totals.bytes)})`],
    );
    if (r.distinctWords !== undefined) rows.push(['distinct words', String(r.distinctWords)]);
    if (r.top)
      rows.push([
        'top words',
        r.top
          .slice(0, 10)
          .map(([w, n]) => `${w} ${n}`)
          .join(', '),
      ]);
    if (r.output) rows.push(['output', `s3://${r.output.bucket}/${r.output.summaryKey}`]);
    if (r.matches) rows.push(['matches', String(r.matches.length)]);
  }
  for (const stage of job.pipeline ?? []) {
    const runs = stage.runs > 1 ? `, ${stage.runs} runs` : '';
    const done = stage.result
      ? `, ${stage.result.objects} objects in, ${stage.cost?.invocations ?? 0} invocations`
      : '';
    const error = stage.error ? ` (${stage.error.code}: ${stage.error.message})` : '';
    rows.push([
      `stage ${stage.stage}`,
      `${stage.mapper}${stage.reducer ? ` → ${stage.reducer}` : ''}: ${stage.status}${runs}${done}${error}, output s3://${stage.output.bucket}/${stage.output.prefix}out/`,
    ]);
  }
  const cost = job.cost;
  if (cost) {
    rows.push(
      ['wall time', `${(cost.wallMs / 1000).toFixed(2)} s`],
      ['throughput', `${(job.counters.bytes / Math.max(0.001, cost.wallMs / 1000) / 1024 ** 2).toFixed(1)} MB/s`],
      ['invocations', String(cost.invocations)],
      ['billed', `${cost.billedMs} ms, ${cost.gbSeconds} GB-s`],
      ...(cost.failures?.invocations
        ? [
            [
              'failed, billed',
              `${cost.failures.invocations} invocations, ${cost.failures.billedMs} ms, $${cost.failures.usd.toFixed(6)}`,
            ] as [string, string],
          ]
        : []),
      ['lambda cost', `$${cost.lambdaUsd.toFixed(6)}`],
      ...(cost.pending
        ? [
            ['not final', `${cost.pending} invocations still running; their cost is added when they end`] as [
              string,
              string,
            ],
          ]
        : []),
      ...(cost.cutOff
        ? [
            ['cut off', `${cost.cutOff} invocations were running when the engine stopped; billed until then`] as [
              string,
              string,
            ],
          ]
        : []),
      [
        'cluster cost',
        `$${cost.cluster.usd.toFixed(6)} (${cost.cluster.instances} × ${cost.cluster.instanceType} at $${cost.cluster.pricePerHour}/h, ${cost.cluster.billedSeconds} s billed, ${cost.cluster.minimumSeconds} s minimum)`,
      ],
    );
  }
  let text = rows.map(([k, v]) => `${k.padEnd(15)} ${v}`).join('\n');
  if (r?.matches)
    text += `\n${r.matches
      .slice(0, 50)
      .map((m) => `${m.key}:${m.line}: ${m.text}`)
      .join('\n')}`;
  return `${text}\n`;
}

async function jobsCommand(
  { values, positionals: args }: ParsedArgs<typeof JOBS_OPTIONS>,
  ctx: CliContext,
): Promise<number> {
  const [sub = 'list', ...positionals] = args;
  switch (sub) {
    case 'ls':
    case 'list': {
      const { jobs } = await ctx.client.get<JobList>('/jobs');
      if (values.json) ctx.out(`${JSON.stringify(jobs)}\n`);
      else
        for (const j of jobs)
          ctx.out(
            `${j.id}  ${j.status.padEnd(9)}  ${j.spec.mapper.padEnd(10)}  s3://${j.spec.input.bucket}/${j.spec.input.prefix ?? ''}  ${new Date(j.createdAt).toISOString()}\n`,
          );
      return 0;
    }
    case 'show': {
      const id = positionals[0];
      if (!id) throw new UsageError('a job id is required');
      const job = await ctx.client.get<JobRecord>(`/jobs/${encodeURIComponent(id)}`);
      ctx.out(values.json ? `${JSON.stringify(job)}\n` : summary(job));
      return 0;
    }
    case 'follow': {
      const id = positionals[0];
      if (!id) throw new UsageError('a job id is required');
      const job = await followJob(id, ctx, true);
      ctx.out(summary(job));
      return job.status === 'succeeded' ? 0 : 1;
    }
    case 'rm':
    case 'delete': {
      if (positionals.length === 0) throw new UsageError('a job id is required');
      // One at a time, in order: the first that cannot be deleted (unknown, running) ends the command.
      for (const id of positionals) {
        await ctx.client.delete<DeletedAnswer>(`/jobs/${encodeURIComponent(id)}`);
        ctx.out(`deleted ${id}\n`);
      }
      return 0;
    }
    case 'bgzip': {
      const url = positionals[0];
      if (!url) throw new UsageError('an s3://bucket/key is required');
      const { bucket, key } = parseS3Url(url);
      const body: BgzipRequest = { bucket, key };
      if (values.block) body.blockSize = parseSize(values.block);
      if (values.to) body.target = values.to;
      const out = await ctx.client.post<BgzipAnswer>('/jobs/bgzip', body);
      ctx.out(`s3://${bucket}/${out.key} (${out.members} members, index s3://${bucket}/${out.indexKey})\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown subcommand: ${sub}`);
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}
