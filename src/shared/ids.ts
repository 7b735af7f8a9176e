import { randomBytes, randomUUID } from 'node:crypto';

/** A request id in the AWS format (a v4 UUID). */
export function newRequestId(): string {
  return randomUUID();
}

/** A short, URL-safe, time-ordered id for jobs and records. */
export function newId(prefix = ''): string {
  const time = Date.now().toString(36).padStart(9, '0');
  return `${prefix}${time}${randomBytes(6).toString('hex')}`;
}

export const ACCOUNT_ID = '000000000000';
export const DEFAULT_REGION = 'us-east-1';
