import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { testContext } from '../../test/helpers/engine-context.js';
import { eventually } from '../../test/helpers/wait.js';
import type { InvokeRequest, InvokeResult } from '../invoke/index.js';
import { createLogger } from '../shared/log.js';
import { MappingStore } from './mapping-store.js';
import { validateMapping } from './mapping-validation.js';
import type { ShardSource } from './shard-sources.js';
import { StreamPoller } from './stream-poller.js';

interface Rec {
  seq: string;
  arrival: number;
  data: string;
}

/** One shard held in memory; `retention` is how long the source keeps a record. */
function memorySource(records: Rec[], retention: number): ShardSource<Rec> {
  return {
    batchInfoKey: 'KinesisBatchInfo',
    listShards: () => [{ shardId: 'shard-0', parents: [] }],
    initialPosition: () => ({}),
    read(_shard, from, limit) {
      const start = from.after === undefined ? 0 : records.findIndex((r) => r.seq === from.after) + 1;
      return { records: records.slice(start, start + limit), closed: false, millisBehindLatest: 0 };
    },
    sequenceOf: (r) => r.seq,
    partitionKeyOf: () => 'k',
    arrivalOf: (r) => r.arrival,
    retentionMs: () => retention,
    subscribe: () => () => {},
  };
}

const ok = (payload: unknown): InvokeResult =>
  ({ statusCode: 200, payload: Buffer.from(JSON.stringify(payload)) }) as unknown as InvokeResult;
const failed = (): InvokeResult =>
  ({ statusCode: 200, functionError: 'Unhandled', payload: Buffer.from('{"errorMessage":"boom"}') }) as InvokeResult;

describe('stream poller', () => {
  const context = testContext('poller');
  const store = new MappingStore(context);
  let poller: StreamPoller<Rec> | undefined;
  afterEach(async () => {
    await poller?.stop();
  });
  afterAll(() => context.dispose());

  const mapping = (overrides: Record<string, unknown> = {}) =>
    validateMapping({
      uuid: `m-${Math.random()}`,
      functionName: 'f',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
      eventSourceArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
      sourceType: 'kinesis',
      sourceName: 's',
      enabled: true,
      startingPosition: 'TRIM_HORIZON',
      lastModified: Date.now(),
      lastProcessingResult: '',
      stateTransitionReason: 'USER_INITIATED',
      ...overrides,
    });

  it('with default settings retries a failing batch until its records expire, then sends the failure record', async () => {
    const now = Date.now();
    const source = memorySource(
      [
        { seq: '1', arrival: now, data: 'a' },
        { seq: '2', arrival: now, data: 'b' },
      ],
      1500,
    );
    const sent: Array<{ destination: string; record: Record<string, unknown> }> = [];
    let calls = 0;
    const config = mapping({ onFailureDestination: 'arn:aws:sqs:us-east-1:000000000000:dlq' });
    expect(config.maximumRetryAttempts).toBe(-1);
    expect(config.maximumRecordAgeInSeconds).toBe(-1);
    poller = new StreamPoller(config, {
      source,
      event: (records) => ({ Records: records.map((r) => r.data) }),
      invoker: {
        invoke: async () => {
          calls += 1;
          return failed();
        },
      },
      deliveries: { send: (destination, record) => void sent.push({ destination, record }) },
      store,
      log: createLogger('test'),
      trigger: 'kinesis',
      onResult: () => {},
    });
    poller.initialize();
    poller.start();
    await eventually(() => sent.length === 1, 10_000);
    expect(calls).toBeGreaterThan(1);
    expect(sent[0]?.record.requestContext).toMatchObject({ condition: 'RecordAgeExceeded' });
    expect(sent[0]?.record.KinesisBatchInfo).toMatchObject({ startSequenceNumber: '1', endSequenceNumber: '2' });
    await eventually(() => store.checkpoint(config.uuid, 'shard-0')?.after === '2');
  });

  it('passes state through a tumbling window and ends it with a final invocation, windows aligned to the epoch', async () => {
    const size = 60_000;
    const base = Math.floor(Date.now() / size) * size - 3 * size; // three windows ago: all are over
    const records: Rec[] = [
      { seq: '1', arrival: base + 1, data: '1' },
      { seq: '2', arrival: base + 2, data: '2' },
      { seq: '3', arrival: base + 3, data: '3' },
      { seq: '4', arrival: base + size + 5, data: '10' },
    ];
    const events: Array<Record<string, unknown>> = [];
    const config = mapping({ tumblingWindowInSeconds: 60, batchSize: 2 });
    poller = new StreamPoller(config, {
      source: memorySource(records, 86_400_000),
      event: (rs) => ({ Records: rs.map((r) => r.data) }),
      invoker: {
        invoke: async (request: InvokeRequest) => {
          const event = JSON.parse(String(request.payload)) as {
            Records: string[];
            state: { sum?: number };
            isFinalInvokeForWindow: boolean;
          };
          events.push(event);
          const sum = (event.state.sum ?? 0) + event.Records.reduce((a, r) => a + Number(r), 0);
          return ok({ state: { sum } });
        },
      },
      deliveries: { send: () => {} },
      store,
      log: createLogger('test'),
      trigger: 'kinesis',
      onResult: () => {},
    });
    poller.initialize();
    poller.start();
    await eventually(() => events.filter((e) => e.isFinalInvokeForWindow).length === 2, 10_000);
    const iso = (t: number) => new Date(t).toISOString();
    expect(events).toEqual([
      expect.objectContaining({ Records: ['1', '2'], state: {}, isFinalInvokeForWindow: false }),
      expect.objectContaining({ Records: ['3'], state: { sum: 3 }, isFinalInvokeForWindow: false }),
      expect.objectContaining({
        Records: [],
        state: { sum: 6 },
        isFinalInvokeForWindow: true,
        isWindowTerminatedEarly: false,
        window: { start: iso(base), end: iso(base + size) },
        shardId: 'shard-0',
        eventSourceARN: config.eventSourceArn,
      }),
      expect.objectContaining({
        Records: ['10'],
        state: {},
        window: { start: iso(base + size), end: iso(base + 2 * size) },
      }),
      expect.objectContaining({ Records: [], state: { sum: 10 }, isFinalInvokeForWindow: true }),
    ]);
    await eventually(() => store.checkpoint(config.uuid, 'shard-0')?.after === '4');
    expect(store.checkpoint(config.uuid, 'shard-0')?.window).toBeUndefined();
  });

  it('treats a windowed answer without state as a failure and retries the batch', async () => {
    const size = 60_000;
    const base = Math.floor(Date.now() / size) * size - 2 * size;
    let answered = 0;
    const seen: unknown[] = [];
    const config = mapping({ tumblingWindowInSeconds: 60 });
    poller = new StreamPoller(config, {
      source: memorySource([{ seq: '1', arrival: base, data: '5' }], 86_400_000),
      event: (rs) => ({ Records: rs.map((r) => r.data) }),
      invoker: {
        invoke: async (request: InvokeRequest) => {
          const event = JSON.parse(String(request.payload)) as { isFinalInvokeForWindow: boolean; state: unknown };
          seen.push(event.state);
          answered += 1;
          if (answered === 1) return ok({ notState: true });
          return ok({ state: { n: answered } });
        },
      },
      deliveries: { send: () => {} },
      store,
      log: createLogger('test'),
      trigger: 'kinesis',
      onResult: () => {},
    });
    poller.initialize();
    poller.start();
    await eventually(() => answered >= 3, 10_000);
    // First answer lacked state: the same batch ran again with the old (empty) state; then the final.
    expect(seen.slice(0, 3)).toEqual([{}, {}, { n: 2 }]);
  });
});
