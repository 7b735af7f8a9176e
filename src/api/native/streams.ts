import { InvalidRequestContent } from '../../shared/errors.js';
import type { ShardPosition, StreamRecordRef } from '../../storage/streams/index.js';
import { readJsonObject, sendJson } from '../http.js';
import type { Route, RouteContext } from '../router.js';
import { openSse } from '../sse.js';
import type {
  CreateStreamRequest,
  PutRecordAnswer,
  PutRecordRequest,
  RecordsAnswer,
  StreamDetail,
  StreamList,
  StreamRecordJson,
} from './contract.js';

/** Streams under /_lambdata: list, describe with per-shard stats, create, delete, put, read and tail (SSE). */
export const routes: Route[] = [
  { method: 'GET', path: '/streams', handler: listStreams },
  { method: 'POST', path: '/streams', handler: createStream },
  { method: 'GET', path: '/streams/:name', handler: describeStream },
  { method: 'DELETE', path: '/streams/:name', handler: deleteStream },
  { method: 'POST', path: '/streams/:name/records', handler: putRecord },
  { method: 'GET', path: '/streams/:name/records', handler: readRecords },
  { method: 'GET', path: '/streams/:name/tail', handler: tail },
];

const PREVIEW_CHARS = 200;

/** A record as native JSON: data in base64 plus a UTF-8 preview. */
export function recordJson(r: StreamRecordRef): StreamRecordJson {
  return {
    shardId: r.shardId,
    sequenceNumber: r.sequenceNumber,
    partitionKey: r.partitionKey,
    data: r.data.toString('base64'),
    text: r.data.toString('utf8', 0, Math.min(r.data.length, PREVIEW_CHARS * 4)).slice(0, PREVIEW_CHARS),
    approximateArrivalTimestamp: r.approximateArrivalTimestamp,
  };
}

function listStreams({ engine, res }: RouteContext): void {
  const streams = engine.streams.listStreams().map((name) => {
    const d = engine.streams.describeStream(name);
    return {
      name,
      arn: d.streamArn,
      openShards: d.openShardCount,
      retentionHours: d.retentionPeriodHours,
      createdAt: d.createdAt,
    };
  });
  sendJson(res, 200, { streams } satisfies StreamList);
}

async function createStream({ engine, req, res }: RouteContext): Promise<void> {
  const body = await readJsonObject<Partial<CreateStreamRequest>>(req);
  if (typeof body.name !== 'string') throw new InvalidRequestContent('name is required');
  engine.streams.createStream(body.name, { shardCount: body.shards ?? 1 });
  sendJson(res, 201, engine.streams.describeStream(body.name));
}

function describeStream({ engine, res, params }: RouteContext): void {
  const name = params.name as string;
  const now = Date.now();
  const stats = new Map(engine.streams.shardStats(name).map((s) => [s.shardId, s]));
  const d = engine.streams.describeStream(name);
  sendJson(res, 200, {
    ...d,
    shards: d.shards.map((shard) => {
      const s = stats.get(shard.shardId);
      return {
        ...shard,
        ...s,
        ...(s?.lastArrivalTimestamp ? { ageOfLastRecordMs: now - s.lastArrivalTimestamp } : {}),
      };
    }),
  } satisfies StreamDetail);
}

function deleteStream({ engine, res, params }: RouteContext): void {
  engine.streams.deleteStream(params.name as string);
  res.writeHead(204).end();
}

async function putRecord({ engine, req, res, params }: RouteContext): Promise<void> {
  const body = await readJsonObject<Partial<PutRecordRequest>>(req);
  if (typeof body.data !== 'string') throw new InvalidRequestContent('data (a string) is required');
  const data = Buffer.from(body.data, body.encoding === 'base64' ? 'base64' : 'utf8');
  const result = engine.streams.putRecord(params.name as string, {
    data,
    partitionKey: body.partitionKey ?? String(Date.now()),
  });
  sendJson(res, 200, result satisfies PutRecordAnswer);
}

/** Reads one shard, or every shard merged in sequence order, after an optional sequence number. */
function readRecords({ engine, res, url, params }: RouteContext): void {
  const name = params.name as string;
  const limit = Math.min(Number(url.searchParams.get('limit') ?? 100) || 100, 10_000);
  const after = url.searchParams.get('after') ?? undefined;
  const shard = url.searchParams.get('shard');
  const shardIds = shard ? [shard] : engine.streams.listShards(name).map((s) => s.shardId);
  const from: ShardPosition = after ? { after } : {};
  const reads = shardIds.map((id) => engine.streams.readShard(name, id, from, limit));
  // Sequence numbers are engine-wide and fixed-length, so string order merges shards by arrival.
  const records = reads
    .flatMap((r) => r.records)
    .sort((a, b) => (a.sequenceNumber < b.sequenceNumber ? -1 : 1))
    .slice(0, limit);
  sendJson(res, 200, {
    records: records.map(recordJson),
    millisBehindLatest: Math.max(0, ...reads.map((r) => r.millisBehindLatest)),
  } satisfies RecordsAnswer);
}

/** Server-Sent Events of new records (`record` events); `from=trim` replays retained records first. */
function tail({ engine, req, res, url, params }: RouteContext): void {
  const name = params.name as string;
  const fromTrim = url.searchParams.get('from') === 'trim';
  const positions = new Map<string, ShardPosition>();
  for (const shard of engine.streams.listShards(name)) {
    positions.set(
      shard.shardId,
      fromTrim ? {} : engine.streams.readShard(name, shard.shardId, { latest: true }, 1).next,
    );
  }
  const sse = openSse(req, res);
  const drain = (shardId: string) => {
    if (!engine.streams.hasStream(name)) {
      sse.send('end', { reason: 'stream deleted' });
      sse.close();
      return;
    }
    // A shard born from re-sharding after the tail began starts at its beginning.
    let position = positions.get(shardId) ?? {};
    for (;;) {
      const read = engine.streams.readShard(name, shardId, position, 1000);
      for (const record of read.records) sse.send('record', recordJson(record), record.sequenceNumber);
      position = read.next;
      if (read.records.length < 1000) break;
    }
    positions.set(shardId, position);
  };
  if (fromTrim) for (const shardId of positions.keys()) drain(shardId);
  const unsubscribe = engine.streams.appended.subscribe((event) => {
    if (event.streamName === name && !sse.closed) drain(event.shardId);
  });
  sse.onClose(unsubscribe);
}
