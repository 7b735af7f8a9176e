/**
 * The AWS credentials `lambdata serve` accepts on signed requests and hands to its functions:
 * from flags, a shared-credentials file, the environment, or — with a token and nothing configured —
 * a key pair generated for this run, so the well-known test/test never opens a protected server.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Credentials } from '../shared/context.js';
import { UsageError } from './command.js';

/** Where the credentials came from (printed by serve). */
export type CredentialsSource = 'flags' | 'file' | 'env' | 'generated' | 'default';

/** What `resolveCredentials` reads. */
export interface CredentialsInput {
  accessKey?: string;
  secretKey?: string;
  credentialsFile?: string;
  profile?: string;
  token?: string;
  env: Record<string, string | undefined>;
}

/** The default pair, accepted only on a server without a token. */
export const DEFAULT_CREDENTIALS: Credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/**
 * Picks the credentials: `--access-key/--secret-key`, else `--credentials-file` (profile
 * `--profile`, default `default`), else LAMBDATA_ACCESS_KEY_ID/LAMBDATA_SECRET_ACCESS_KEY, else a
 * generated pair when there is a token, else test/test.
 * @throws UsageError for half a key pair, or a file or profile without both keys.
 */
export function resolveCredentials(input: CredentialsInput): { credentials: Credentials; source: CredentialsSource } {
  const pair = (accessKeyId: string | undefined, secretAccessKey: string | undefined, what: string) => {
    if (!accessKeyId || !secretAccessKey) throw new UsageError(`${what}: give both the access key and the secret key`);
    return { accessKeyId, secretAccessKey };
  };
  if (input.accessKey || input.secretKey) {
    return { credentials: pair(input.accessKey, input.secretKey, '--access-key/--secret-key'), source: 'flags' };
  }
  if (input.credentialsFile) {
    const profile = input.profile ?? 'default';
    const values = readProfile(input.credentialsFile, profile);
    return {
      credentials: pair(
        values.aws_access_key_id,
        values.aws_secret_access_key,
        `${input.credentialsFile} [${profile}]`,
      ),
      source: 'file',
    };
  }
  const { LAMBDATA_ACCESS_KEY_ID: id, LAMBDATA_SECRET_ACCESS_KEY: secret } = input.env;
  if (id || secret) {
    return { credentials: pair(id, secret, 'LAMBDATA_ACCESS_KEY_ID/LAMBDATA_SECRET_ACCESS_KEY'), source: 'env' };
  }
  if (input.token) return { credentials: generateCredentials(), source: 'generated' };
  return { credentials: DEFAULT_CREDENTIALS, source: 'default' };
}

/** A fresh key pair in AWS's shapes (20-character key id, 40-character secret). */
export function generateCredentials(): Credentials {
  return {
    accessKeyId: `LDAK${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64url'),
  };
}

/**
 * The keys of one profile of an AWS shared-credentials (ini) file: `[profile]` sections of
 * `key = value` lines; `#` and `;` start comments.
 * @throws UsageError when the file cannot be read or has no such profile.
 */
export function readProfile(file: string, profile: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--credentials-file: cannot read ${file} (${(err as Error).message})`);
  }
  const sections = new Map<string, Record<string, string>>();
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (section?.[1]) {
      current = sections.get(section[1]) ?? {};
      sections.set(section[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (current && eq > 0) current[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  const values = sections.get(profile);
  if (!values) throw new UsageError(`--credentials-file: ${file} has no profile [${profile}]`);
  return values;
}
