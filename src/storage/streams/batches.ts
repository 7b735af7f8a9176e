import type { PutRecordInput } from './types.js';

/** The columns of one kinesis_batches row (see STREAM_SCHEMA). */
export interface BatchRow {
  last_seq: number;
  count: number;
  arrived: number;
  keys: string;
  sizes: Buffer | null;
  data: Buffer;
}

/** One record unpacked from a batch row. */
export interface BatchRecord {
  seq: number;
  partitionKey: string;
  data: Buffer;
}

// Where packBatch lays out a row's data: reused, since SQLite copies a blob when it is bound.
let scratch = Buffer.allocUnsafe(0);

/**
 * Packs records bound for one shard into the `keys`, `sizes` and `data` columns of one row.
 * `data` is only valid until the next call: bind it to a statement straight away.
 */
export function packBatch(records: readonly PutRecordInput[]): Pick<BatchRow, 'keys' | 'sizes' | 'data'> {
  if (records.length === 1) {
    const [record] = records as [PutRecordInput];
    return { keys: JSON.stringify([record.partitionKey]), sizes: null, data: record.data };
  }
  const keys: string[] = new Array(records.length);
  const sizes = Buffer.allocUnsafe(records.length * 4);
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as PutRecordInput;
    keys[i] = record.partitionKey;
    sizes.writeUInt32LE(record.data.length, i * 4);
    total += record.data.length;
  }
  if (scratch.length < total) scratch = Buffer.allocUnsafe(Math.max(total, scratch.length * 2));
  let offset = 0;
  for (const record of records) offset += record.data.copy(scratch, offset);
  return { keys: JSON.stringify(keys), sizes, data: scratch.subarray(0, total) };
}

/**
 * The records of a batch row with sequence counters at or after `from`, in order. Their data are
 * views into the row's `data` buffer.
 */
export function unpackBatch(row: BatchRow, from: number): BatchRecord[] {
  const first = row.last_seq - row.count + 1;
  const keys = JSON.parse(row.keys) as string[];
  if (row.sizes === null) return first >= from ? [{ seq: first, partitionKey: keys[0] as string, data: row.data }] : [];
  const records: BatchRecord[] = [];
  let offset = 0;
  for (let i = 0; i < row.count; i++) {
    const size = row.sizes.readUInt32LE(i * 4);
    if (first + i >= from) {
      records.push({ seq: first + i, partitionKey: keys[i] as string, data: row.data.subarray(offset, offset + size) });
    }
    offset += size;
  }
  return records;
}
