import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestContext, testContext } from '../../../test/helpers/engine-context.js';
import { QueueStore } from './queue-store.js';

describe('QueueStore', () => {
  let context: TestContext;
  let now: number;
  let queues: QueueStore;

  beforeEach(() => {
    context = testContext('queues');
    now = 1_800_000_000_000;
    queues = new QueueStore(context, { now: () => now });
  });

  afterEach(() => {
    context.dispose();
  });

  it('holds delayed messages back and counts them as delayed', async () => {
    queues.createQueue('d', { DelaySeconds: 5 });
    queues.send('d', { body: 'late' });
    queues.send('d', { body: 'now', delaySeconds: 0 });
    expect(queues.depth('d')).toEqual({ visible: 1, inFlight: 0, delayed: 1 });
    expect((await queues.receive('d', { maxMessages: 10 })).map((m) => m.body)).toEqual(['now']);
    now += 5000;
    expect((await queues.receive('d', { maxMessages: 10 })).map((m) => m.body)).toEqual(['late']);
  });

  it('deduplicates FIFO sends for five minutes only', () => {
    queues.createQueue('f.fifo', { FifoQueue: 'true' });
    const a = queues.send('f.fifo', { body: 'x', groupId: 'g', deduplicationId: 'd1' });
    expect(queues.send('f.fifo', { body: 'y', groupId: 'g', deduplicationId: 'd1' }).messageId).toBe(a.messageId);
    now += 5 * 60_000 + 1;
    const b = queues.send('f.fifo', { body: 'x', groupId: 'g', deduplicationId: 'd1' });
    expect(b.messageId).not.toBe(a.messageId);
    expect(BigInt(b.sequenceNumber as string)).toBeGreaterThan(BigInt(a.sequenceNumber as string));
    expect(() => queues.send('f.fifo', { body: 'z', groupId: 'g' })).toThrow(
      expect.objectContaining({ code: 'InvalidParameterValue' }),
    );
    expect(() => queues.send('f.fifo', { body: 'z', deduplicationId: 'q' })).toThrow(
      expect.objectContaining({ code: 'MissingParameter' }),
    );
  });

  it('drops messages past the retention period', async () => {
    queues.createQueue('r', { MessageRetentionPeriod: 60 });
    queues.send('r', { body: 'old' });
    now += 61_000;
    expect(await queues.receive('r')).toEqual([]);
    expect(queues.depth('r').visible).toBe(0);
  });

  it('rejects bad receipt handles and visibility changes of messages not in flight', async () => {
    queues.createQueue('v', { VisibilityTimeout: 10 });
    queues.send('v', { body: 'm' });
    const [m] = await queues.receive('v');
    expect(() => queues.deleteMessage('v', 'garbage')).toThrow(
      expect.objectContaining({ code: 'ReceiptHandleIsInvalid' }),
    );
    now += 11_000;
    expect(() => queues.changeVisibility('v', m?.receiptHandle as string, 30)).toThrow(
      expect.objectContaining({ code: 'MessageNotInflight' }),
    );
    const [again] = await queues.receive('v');
    expect(again?.attributes.ApproximateReceiveCount).toBe('2');
    // The first receipt handle is stale now: deleting with it leaves the message alone.
    queues.deleteMessage('v', m?.receiptHandle as string);
    expect(queues.depth('v').inFlight).toBe(1);
    queues.deleteMessage('v', again?.receiptHandle as string);
    expect(queues.depth('v')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('refuses to recreate a queue with different attributes', () => {
    queues.createQueue('c', { VisibilityTimeout: 10 });
    expect(queues.createQueue('c', { VisibilityTimeout: '10' }).name).toBe('c');
    expect(() => queues.createQueue('c', { VisibilityTimeout: 20 })).toThrow(
      expect.objectContaining({ code: 'QueueNameExists' }),
    );
    expect(() => queues.createQueue('bad name')).toThrow(expect.objectContaining({ code: 'InvalidParameterValue' }));
    expect(() => queues.createQueue('x', { Bogus: 1 })).toThrow(
      expect.objectContaining({ code: 'InvalidAttributeName' }),
    );
  });
});
