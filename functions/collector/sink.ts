/**
 * Writes tweets to a Kinesis stream with PutRecords through the AWS SDK (partition key = user),
 * in batches within the API's limits, retrying the records a batch reports as failed.
 */
import { KinesisClient, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import type { Tweet } from './tweets.js';

/** PutRecords limits: 500 records and 5 MiB per request. */
const MAX_RECORDS = 500;
const MAX_BYTES = 5 * 1024 * 1024;
const ATTEMPTS = 6;
const BASE_DELAY_MS = 50;

/** Counts of what a sink wrote. */
export interface SinkCounts {
  records: number;
  requests: number;
  retried: number;
}

/** Puts tweets into one stream; reaches lambdata (or AWS) through AWS_ENDPOINT_URL and the standard credentials. */
export class StreamSink {
  readonly counts: SinkCounts = { records: 0, requests: 0, retried: 0 };
  #client: KinesisClient;
  #stream: string;

  constructor(stream: string) {
    this.#stream = stream;
    const endpoint = process.env.AWS_ENDPOINT_URL_KINESIS ?? process.env.AWS_ENDPOINT_URL;
    this.#client = new KinesisClient({ ...(endpoint ? { endpoint } : {}), maxAttempts: 3 });
  }

  /**
   * Writes every tweet; resolves once all are acknowledged.
   * @throws Error naming the error code when records still fail after the retries.
   */
  async put(tweets: readonly Tweet[]): Promise<void> {
    let batch: PutRecordsRequestEntry[] = [];
    let bytes = 0;
    for (const tweet of tweets) {
      const data = Buffer.from(JSON.stringify(tweet));
      const size = data.length + Buffer.byteLength(tweet.user);
      if (batch.length === MAX_RECORDS || bytes + size > MAX_BYTES) {
        await this.#send(batch);
        batch = [];
        bytes = 0;
      }
      batch.push({ Data: data, PartitionKey: tweet.user });
      bytes += size;
    }
    if (batch.length > 0) await this.#send(batch);
  }

  /** Closes the client's connections. */
  close(): void {
    this.#client.destroy();
  }

  async #send(entries: PutRecordsRequestEntry[]): Promise<void> {
    let pending = entries;
    for (let attempt = 1; ; attempt++) {
      this.counts.requests++;
      const answer = await this.#client.send(new PutRecordsCommand({ StreamName: this.#stream, Records: pending }));
      const results = answer.Records ?? [];
      const failed = pending.filter((_, i) => results[i]?.ErrorCode !== undefined);
      this.counts.records += pending.length - failed.length;
      if (failed.length === 0) return;
      if (attempt === ATTEMPTS) {
        const code = results.find((r) => r.ErrorCode)?.ErrorCode;
        throw new Error(
          `${failed.length} records to ${this.#stream} still failed after ${ATTEMPTS} attempts (${code})`,
        );
      }
      this.counts.retried += failed.length;
      pending = failed;
      await new Promise((resolve) => setTimeout(resolve, BASE_DELAY_MS * 2 ** attempt * Math.random()));
    }
  }
}
