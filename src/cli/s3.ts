/**
 * `lambdata s3 mb|rb|ls|cp|rm|cat` and `lambdata notify`: the object store through the native API.
 * Bodies stream between files, stdout and the server; nothing is read whole into memory.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type {
  BucketList,
  LambdaFunctionConfiguration,
  NotificationConfiguration,
  ObjectListing,
} from '../api/native/contract.js';
import { type CliContext, type Command, defineCommand, UsageError } from './command.js';

/** A location: a local path or `s3://bucket/key`. */
type Location = { kind: 'local'; path: string } | { kind: 's3'; bucket: string; key: string };

const S3_USAGE = `lambdata s3 <subcommand>
  mb s3://bucket                     create a bucket
  rb s3://bucket [--force]           remove a bucket (--force empties it first)
  ls [s3://bucket[/prefix]] [--recursive]
  cp <src> <dst> [--recursive]       local file/dir <-> s3://bucket/key, or s3 -> s3
  rm s3://bucket/key [--recursive]
  cat s3://bucket/key`;
const NOTIFY_USAGE =
  'lambdata notify s3://bucket --function fn [--events s3:ObjectCreated:*] [--prefix p] [--suffix s] | --show | --clear';
const PROGRESS_MIN_BYTES = 8 * 1024 * 1024;

/** `lambdata s3 …` */
const s3 = defineCommand({
  name: 's3',
  summary: 'Buckets and objects: mb, rb, ls, cp, rm, cat',
  usage: S3_USAGE,
  options: {
    recursive: { type: 'boolean', short: 'r' },
    force: { type: 'boolean' },
  },
  subcommandRequired: true,
  async run({ values, positionals }, ctx) {
    const [sub, ...rest] = positionals;
    const recursive = values.recursive ?? false;
    switch (sub) {
      case 'mb': {
        const { bucket } = bucketOnly(one(rest, 'mb needs s3://bucket'));
        await ctx.client.put(`/buckets/${enc(bucket)}`);
        ctx.out(`make_bucket: ${bucket}\n`);
        return 0;
      }
      case 'rb': {
        const { bucket } = bucketOnly(one(rest, 'rb needs s3://bucket'));
        if (values.force) await removeAll(ctx, bucket, '');
        await ctx.client.delete(`/buckets/${enc(bucket)}`);
        ctx.out(`remove_bucket: ${bucket}\n`);
        return 0;
      }
      case 'ls':
        if (rest.length > 1) throw new UsageError('ls takes at most one s3:// location');
        return list(ctx, rest[0], recursive);
      case 'cp': {
        const [from, to, ...extra] = rest;
        if (from === undefined || to === undefined || extra.length) {
          throw new UsageError('cp needs a source and a destination');
        }
        return copy(ctx, parseLocation(from), parseLocation(to), recursive);
      }
      case 'rm': {
        const target = s3Location(one(rest, 'rm needs s3://bucket/key'));
        if (recursive) {
          await removeAll(ctx, target.bucket, target.key, (key) => ctx.out(`delete: s3://${target.bucket}/${key}\n`));
          return 0;
        }
        if (!target.key) throw new UsageError('rm needs a key (or --recursive)');
        await ctx.client.delete(objectPath(target.bucket, target.key));
        ctx.out(`delete: s3://${target.bucket}/${target.key}\n`);
        return 0;
      }
      case 'cat': {
        const target = s3Location(one(rest, 'cat needs s3://bucket/key'));
        const res = await download(ctx, target.bucket, target.key);
        await pipeline(webToNode(res), process.stdout);
        return 0;
      }
      default:
        throw new UsageError(`unknown subcommand ${sub}`);
    }
  },
});

/** `lambdata notify s3://bucket --function fn …` */
const notify = defineCommand({
  name: 'notify',
  summary: 'Invoke a function on object events of a bucket',
  usage: NOTIFY_USAGE,
  options: {
    function: { type: 'string' },
    events: { type: 'string', multiple: true },
    prefix: { type: 'string' },
    suffix: { type: 'string' },
    show: { type: 'boolean' },
    clear: { type: 'boolean' },
  },
  async run({ values, positionals }, ctx) {
    const { bucket } = bucketOnly(one(positionals, 'notify needs s3://bucket'));
    const path = `/buckets/${enc(bucket)}/notifications`;
    const modes = [values.show, values.clear, values.function !== undefined].filter(Boolean).length;
    if (modes !== 1) throw new UsageError('give exactly one of --function, --show or --clear');
    if (values.show) {
      const config = await ctx.client.get<NotificationConfiguration>(path);
      const rows = config.lambdaFunctionConfigurations ?? [];
      if (rows.length === 0) ctx.err(`no notifications on ${bucket}\n`);
      for (const row of rows) {
        const filter = [
          row.filter?.prefix && `prefix=${row.filter.prefix}`,
          row.filter?.suffix && `suffix=${row.filter.suffix}`,
        ]
          .filter(Boolean)
          .join(' ');
        ctx.out(`${row.id ?? '-'}\t${row.functionArn}\t${row.events.join(',')}${filter ? `\t${filter}` : ''}\n`);
      }
      return 0;
    }
    if (values.clear) {
      await ctx.client.put(path, { lambdaFunctionConfigurations: [] });
      ctx.out(`cleared notifications on ${bucket}\n`);
      return 0;
    }
    const current = await ctx.client.get<NotificationConfiguration>(path);
    const existing = current.lambdaFunctionConfigurations ?? [];
    const filter: LambdaFunctionConfiguration['filter'] = {};
    if (values.prefix !== undefined) filter.prefix = values.prefix;
    if (values.suffix !== undefined) filter.suffix = values.suffix;
    const functionName = values.function ?? '';
    const added: LambdaFunctionConfiguration = {
      id: `${functionName}-${existing.length + 1}`,
      functionArn: functionName,
      events: (values.events ?? ['s3:ObjectCreated:*']).flatMap((e) => e.split(',')).filter(Boolean),
      ...(Object.keys(filter).length ? { filter } : {}),
    };
    await ctx.client.put(path, { lambdaFunctionConfigurations: [...existing, added] });
    ctx.out(`s3://${bucket} ${added.events.join(',')} -> ${added.functionArn}\n`);
    return 0;
  },
});

/** CLI commands of the object store. */
export const commands: Command[] = [s3, notify];

async function list(ctx: CliContext, where: string | undefined, recursive: boolean): Promise<number> {
  if (!where) {
    const { buckets } = await ctx.client.get<BucketList>('/buckets');
    for (const b of buckets) ctx.out(`${formatDate(b.createdAt)} ${b.name}\n`);
    return 0;
  }
  const { bucket, key: prefix } = s3Location(where);
  for await (const page of pages(ctx, bucket, prefix, recursive ? undefined : '/')) {
    for (const p of page.commonPrefixes) ctx.out(`${''.padStart(30)}PRE ${p.slice(prefix.length)}\n`);
    for (const o of page.objects) {
      const shown = recursive ? o.key : o.key.slice(prefix.length);
      ctx.out(`${formatDate(o.lastModified)} ${String(o.size).padStart(10)} ${shown}\n`);
    }
  }
  return 0;
}

async function copy(ctx: CliContext, src: Location, dst: Location, recursive: boolean): Promise<number> {
  if (src.kind === 'local' && dst.kind === 'local') throw new UsageError('cp needs at least one s3:// location');
  const jobs: Array<{ from: Location; to: Location; size?: number }> = [];
  if (!recursive) {
    jobs.push({ from: src, to: singleTarget(src, dst) });
  } else if (src.kind === 'local') {
    for (const file of await walk(src.path)) {
      const rel = relative(src.path, file).split(sep).join('/');
      jobs.push({ from: { kind: 'local', path: file }, to: under(dst, rel) });
    }
  } else {
    const prefix = src.key && !src.key.endsWith('/') ? `${src.key}/` : src.key;
    for await (const page of pages(ctx, src.bucket, prefix)) {
      for (const o of page.objects) {
        jobs.push({
          from: { kind: 's3', bucket: src.bucket, key: o.key },
          to: under(dst, o.key.slice(prefix.length)),
          size: o.size,
        });
      }
    }
  }
  for (const job of jobs) {
    await copyOne(ctx, job.from, job.to);
    ctx.out(`copy: ${show(job.from)} to ${show(job.to)}\n`);
  }
  return 0;
}

async function copyOne(ctx: CliContext, from: Location, to: Location): Promise<void> {
  if (from.kind === 'local' && to.kind === 's3') {
    const { size } = await stat(from.path);
    await upload(ctx, to, withProgress(createReadStream(from.path), size, ctx), size);
  } else if (from.kind === 's3' && to.kind === 'local') {
    const res = await download(ctx, from.bucket, from.key);
    await mkdir(dirname(to.path), { recursive: true });
    const size = Number(res.headers.get('content-length') ?? 0);
    await pipeline(webToNode(res), withProgress(undefined, size, ctx), createWriteStream(to.path));
  } else if (from.kind === 's3' && to.kind === 's3') {
    const res = await download(ctx, from.bucket, from.key);
    const size = Number(res.headers.get('content-length') ?? 0);
    await upload(ctx, to, withProgress(webToNode(res), size, ctx), size, res.headers.get('content-type') ?? undefined);
  }
}

async function upload(
  ctx: CliContext,
  to: { bucket: string; key: string },
  body: Readable,
  size: number,
  contentType?: string,
): Promise<void> {
  const headers: Record<string, string> = { 'content-length': String(size) };
  if (contentType) headers['content-type'] = contentType;
  await ctx.client.checked(await ctx.client.fetch('PUT', objectPath(to.bucket, to.key), body, headers));
}

async function download(ctx: CliContext, bucket: string, key: string): Promise<Response> {
  return ctx.client.checked(await ctx.client.fetch('GET', objectPath(bucket, key)));
}

/** Deletes every object under a prefix, page by page. */
async function removeAll(
  ctx: CliContext,
  bucket: string,
  prefix: string,
  onDelete?: (key: string) => void,
): Promise<void> {
  for await (const page of pages(ctx, bucket, prefix)) {
    for (const o of page.objects) {
      await ctx.client.delete(objectPath(bucket, o.key));
      onDelete?.(o.key);
    }
  }
}

/** Listing pages; deleting while paging is safe because each page resumes after the last key seen. */
async function* pages(
  ctx: CliContext,
  bucket: string,
  prefix: string,
  delimiter?: string,
): AsyncGenerator<ObjectListing> {
  let startAfter: string | undefined;
  do {
    const query = new URLSearchParams({ prefix, maxKeys: '1000' });
    if (delimiter) query.set('delimiter', delimiter);
    if (startAfter) query.set('startAfter', startAfter);
    const page = await ctx.client.get<ObjectListing>(`/buckets/${enc(bucket)}/objects?${query}`);
    yield page;
    startAfter = page.isTruncated ? page.nextStartAfter : undefined;
  } while (startAfter);
}

function withProgress(source: Readable | undefined, total: number, ctx: CliContext): Readable & Transform {
  const tty = process.stderr.isTTY && total >= PROGRESS_MIN_BYTES;
  let done = 0;
  let shown = -1;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      const percent = Math.floor((done / total) * 100);
      if (tty && percent !== shown) {
        shown = percent;
        const bar = '#'.repeat(Math.floor(percent / 4)).padEnd(25, '.');
        ctx.err(`\r[${bar}] ${percent}% ${formatSize(done)}/${formatSize(total)}`);
      }
      callback(null, chunk);
    },
    flush(callback) {
      if (tty) ctx.err('\n');
      callback();
    },
  });
  if (source) {
    source.on('error', (err) => meter.destroy(err));
    source.pipe(meter);
  }
  return meter;
}

function singleTarget(src: Location, dst: Location): Location {
  const name = src.kind === 'local' ? basename(src.path) : basename(src.key);
  if (dst.kind === 's3') return dst.key === '' || dst.key.endsWith('/') ? { ...dst, key: `${dst.key}${name}` } : dst;
  return dst.path.endsWith('/') || dst.path === '.' ? { kind: 'local', path: join(dst.path, name) } : dst;
}

function under(dst: Location, rel: string): Location {
  if (dst.kind === 'local') return { kind: 'local', path: join(dst.path, ...rel.split('/')) };
  const base = dst.key && !dst.key.endsWith('/') ? `${dst.key}/` : dst.key;
  return { ...dst, key: `${base}${rel}` };
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name))
    .sort();
}

function parseLocation(text: string): Location {
  return text.startsWith('s3://') ? s3Location(text) : { kind: 'local', path: text };
}

function s3Location(text: string): { kind: 's3'; bucket: string; key: string } {
  const [, bucket, key = ''] = /^s3:\/\/([^/]+)\/?(.*)$/.exec(text) ?? [];
  if (!bucket) throw new UsageError(`expected s3://bucket[/key], got ${text}`);
  return { kind: 's3', bucket, key };
}

function bucketOnly(text: string): { bucket: string } {
  const { bucket, key } = s3Location(text);
  if (key) throw new UsageError(`expected s3://bucket without a key, got ${text}`);
  return { bucket };
}

function one(values: string[], message: string): string {
  const [value, ...extra] = values;
  if (value === undefined || extra.length) throw new UsageError(message);
  return value;
}

function objectPath(bucket: string, key: string): string {
  return `/buckets/${enc(bucket)}/objects/${enc(key)}`;
}

function enc(text: string): string {
  return encodeURIComponent(text);
}

function webToNode(res: Response): Readable {
  if (!res.body) return Readable.from([]);
  return Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
}

function show(location: Location): string {
  return location.kind === 'local' ? location.path : `s3://${location.bucket}/${location.key}`;
}

function formatDate(iso: string): string {
  return new Date(iso).toISOString().replace('T', ' ').slice(0, 19);
}

function formatSize(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}
