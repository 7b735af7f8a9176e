import type { InvocationType } from './types.js';

/**
 * Lambda's size limits, in one place for the core and every adapter (bytes; AWS's "MB" are MiB).
 * A sync request or response carries up to 6 MB; an async (Event) Invoke up to 1 MB, as AWS
 * allows since October 2025; the deprecated InvokeAsync operation stays at 256 KB.
 */
export const PAYLOAD_LIMITS = {
  syncBytes: 6 * 1024 * 1024,
  asyncBytes: 1024 * 1024,
  legacyAsyncBytes: 256 * 1024,
  responseBytes: 6 * 1024 * 1024,
} as const;

/** A deployment package: 50 MB zipped (direct upload), 250 MB unpacked. */
export const PACKAGE_LIMITS = {
  zippedBytes: 50 * 1024 * 1024,
  unzippedBytes: 250 * 1024 * 1024,
  /** Zips at least this big unzip on a worker thread, off the event loop (a thread's start costs more below). */
  offLoopZippedBytes: 256 * 1024,
} as const;

/** The largest payload an invocation of this type takes. */
export function payloadLimit(invocationType: InvocationType): number {
  return invocationType === 'Event' ? PAYLOAD_LIMITS.asyncBytes : PAYLOAD_LIMITS.syncBytes;
}
