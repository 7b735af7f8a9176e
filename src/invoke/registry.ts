import { randomUUID } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Statement } from 'better-sqlite3';
import { functionArn, parseFunctionRef } from '../shared/arn.js';
import type { EngineContext } from '../shared/context.js';
import { InvalidParameterValue, ResourceConflict, ResourceNotFound } from '../shared/errors.js';
import { Topic } from '../shared/events.js';
import { migrate } from '../state/db.js';
import { FunctionAliases, isAliasName } from './aliases.js';
import { FunctionPolicies } from './function-policies.js';
import { type FunctionCode, storePackage } from './package.js';
import { statementCache } from './statements.js';
import type { EventInvokeConfig, FunctionSettings, FunctionVersion } from './types.js';
import {
  DEFAULTS,
  type TargetExists,
  validateConfig,
  validateDeadLetterTarget,
  validateEventInvokeConfig,
  validateName,
} from './validation.js';

export type { FunctionCode } from './package.js';

/** What `create` needs: code plus configuration (defaults as AWS). */
export interface CreateFunctionInput {
  name: string;
  handler: string;
  runtime?: string;
  memoryMb?: number;
  timeoutS?: number;
  ephemeralStorageMb?: number;
  environment?: Record<string, string>;
  description?: string;
  code: FunctionCode;
  publish?: boolean;
  reservedConcurrency?: number | null;
  /** DeadLetterConfig.TargetArn: an SQS queue or SNS topic ARN; '' means none. */
  deadLetterTargetArn?: string;
}

/** Configuration that `updateConfig` may change. */
export type FunctionConfigPatch = Partial<Omit<CreateFunctionInput, 'name' | 'code' | 'publish'>>;

export interface FunctionRegistryOptions {
  /** Called after code or configuration changed or the function was deleted, so environments are retired. */
  onChange: (functionName: string) => void;
  /** Whether a dead-letter target (queue or topic ARN) exists; asked when one is set. */
  deadLetterTargetExists: TargetExists;
}

/** A function's row of settings that are not part of a version. */
interface SettingsRow {
  name: string;
  reserved_concurrency: number | null;
  event_invoke_config: string | null;
}

/** A version as stored: everything but the paths and ARN, which follow from the data dir and region. */
type StoredVersion = Omit<FunctionVersion, 'arn' | 'codeDir'> & { codeKey: string };

const LATEST = '$LATEST';
const SCHEMA = `
CREATE TABLE IF NOT EXISTS invoke_functions (
  name TEXT PRIMARY KEY,
  reserved_concurrency INTEGER,
  event_invoke_config TEXT,
  next_version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS invoke_function_versions (
  name TEXT NOT NULL REFERENCES invoke_functions(name) ON DELETE CASCADE,
  version TEXT NOT NULL,
  ordinal INTEGER NOT NULL,
  config TEXT NOT NULL,
  PRIMARY KEY (name, version)
);`;

/**
 * The functions deployed on this engine: code under `<dataDir>/functions/<name>/<key>/`, configuration
 * and numbered versions in SQLite. Names, ARNs and partial ARNs are accepted wherever a function is looked up.
 */
export class FunctionRegistry {
  /** Each function's aliases (CreateAlias …); `get` and `route` resolve them. */
  readonly aliases: FunctionAliases;
  /** Each function's resource-based policies (AddPermission …). */
  readonly policies: FunctionPolicies;
  /** The name of a function whose reserved concurrency or async settings changed, or that was deleted: queued events may run or expire now. */
  readonly settingsChanged = new Topic<string>();
  #context: EngineContext;
  #onChange: (functionName: string) => void;
  #targetExists: TargetExists;
  #statements: ReturnType<typeof statementCache>;
  /** Versions by the `get` arguments and settings rows by name, read once: every invocation looks them up. */
  #versions = new Map<string, FunctionVersion>();
  #settings = new Map<string, SettingsRow>();
  #reservedTotal: number | undefined;

  constructor(context: EngineContext, options: FunctionRegistryOptions) {
    this.#context = context;
    this.#onChange = options.onChange;
    this.#targetExists = options.deadLetterTargetExists;
    migrate(context.db, SCHEMA);
    this.#statements = statementCache(context.db);
    this.aliases = new FunctionAliases({
      db: context.db,
      region: context.region,
      hasVersion: (name, version) =>
        this.#sql('SELECT 1 FROM invoke_function_versions WHERE name = ? AND version = ?').get(name, version) !==
        undefined,
      onDelete: (name, alias) => this.policies.forget(name, alias),
    });
    this.policies = new FunctionPolicies(context.db);
  }

  /** Deploys a new function. Throws ResourceConflictException if it exists, InvalidParameterValueException for bad input. */
  async create(input: CreateFunctionInput): Promise<FunctionVersion> {
    validateName(input.name);
    if (input.handler === undefined) throw new InvalidParameterValue('Handler: is required');
    validateConfig(input);
    if (input.deadLetterTargetArn !== undefined)
      validateDeadLetterTarget(input.deadLetterTargetArn, this.#targetExists);
    if (this.has(input.name)) throw new ResourceConflict(`Function already exist: ${input.name}`);
    const stored = await storePackage(this.#root(input.name), input.code, input.handler).catch((err: unknown) => {
      if (!this.has(input.name)) rmSync(this.#root(input.name), { recursive: true, force: true });
      throw err;
    });
    const version: StoredVersion = {
      name: input.name,
      version: LATEST,
      handler: input.handler,
      runtime: input.runtime ?? DEFAULTS.runtime,
      memoryMb: input.memoryMb ?? DEFAULTS.memoryMb,
      timeoutS: input.timeoutS ?? DEFAULTS.timeoutS,
      ephemeralStorageMb: input.ephemeralStorageMb ?? DEFAULTS.ephemeralStorageMb,
      environment: { ...(input.environment ?? {}) },
      description: input.description ?? '',
      codeSha256: stored.codeSha256,
      codeSize: stored.codeSize,
      codeKey: stored.key,
      lastModified: awsTimestamp(),
      revisionId: randomUUID(),
    };
    if (input.deadLetterTargetArn) version.deadLetterTargetArn = input.deadLetterTargetArn;
    const db = this.#context.db;
    db.transaction(() => {
      if (this.has(input.name)) throw new ResourceConflict(`Function already exist: ${input.name}`);
      this.#sql('INSERT INTO invoke_functions (name, reserved_concurrency) VALUES (?, ?)').run(
        input.name,
        input.reservedConcurrency ?? null,
      );
      this.#write(version, 0);
    })();
    return input.publish ? this.publish(input.name) : this.#expand(version);
  }

  /** Replaces the code of $LATEST (optionally publishing a version). Throws ResourceNotFoundException. */
  async updateCode(name: string, code: FunctionCode, opts: { publish?: boolean } = {}): Promise<FunctionVersion> {
    const latest = this.#read(this.#resolveName(name), LATEST);
    const stored = await storePackage(this.#root(latest.name), code, latest.handler);
    const next: StoredVersion = {
      ...this.#read(latest.name, LATEST),
      codeSha256: stored.codeSha256,
      codeSize: stored.codeSize,
      codeKey: stored.key,
      lastModified: awsTimestamp(),
      revisionId: randomUUID(),
    };
    this.#write(next, 0);
    this.#onChange(latest.name);
    return opts.publish ? this.publish(latest.name) : this.#expand(next);
  }

  /** Changes configuration of $LATEST; `environment` replaces the whole map. Throws InvalidParameterValueException. */
  updateConfig(name: string, patch: FunctionConfigPatch): FunctionVersion {
    const fnName = this.#resolveName(name);
    const current = this.#read(fnName, LATEST);
    // A new runtime must accept the handler the function keeps.
    const handler = patch.handler ?? (patch.runtime !== undefined ? current.handler : undefined);
    validateConfig({ ...patch, handler }, current.runtime);
    if (patch.deadLetterTargetArn !== undefined)
      validateDeadLetterTarget(patch.deadLetterTargetArn, this.#targetExists);
    const next: StoredVersion = { ...current, lastModified: awsTimestamp(), revisionId: randomUUID() };
    if (patch.deadLetterTargetArn === '') delete next.deadLetterTargetArn;
    else if (patch.deadLetterTargetArn !== undefined) next.deadLetterTargetArn = patch.deadLetterTargetArn;
    for (const key of ['handler', 'runtime', 'memoryMb', 'timeoutS', 'ephemeralStorageMb', 'description'] as const) {
      if (patch[key] !== undefined) (next as Record<string, unknown>)[key] = patch[key];
    }
    if (patch.environment !== undefined) next.environment = { ...patch.environment };
    this.#write(next, 0);
    if (patch.reservedConcurrency !== undefined) this.putConcurrency(fnName, patch.reservedConcurrency);
    this.#onChange(fnName);
    return this.#expand(next);
  }

  /**
   * One version of a function (qualifier from the argument or the ARN; default $LATEST). An alias
   * resolves to its primary version. Throws ResourceNotFoundException.
   */
  get(nameOrArn: string, qualifier?: string): FunctionVersion {
    const alias = this.#aliasOf(nameOrArn, qualifier);
    if (alias) return this.#version(alias.functionName, alias.functionVersion);
    return this.#version(nameOrArn, qualifier);
  }

  /**
   * The version an invocation runs: as `get`, but an alias with a routing config sends each call to
   * its additional version with that version's weight. Throws ResourceNotFoundException.
   */
  route(nameOrArn: string, qualifier?: string): FunctionVersion {
    const alias = this.#aliasOf(nameOrArn, qualifier);
    if (alias) return this.#version(alias.functionName, this.aliases.choose(alias));
    return this.#version(nameOrArn, qualifier);
  }

  #aliasOf(nameOrArn: string, qualifier?: string) {
    // Nearly every lookup is a plain name without a qualifier: only a qualifier can name an alias.
    if (qualifier === undefined && !nameOrArn.includes(':')) return undefined;
    const parsed = parseFunctionRef(nameOrArn);
    const q = qualifier ?? parsed.qualifier;
    if (q === undefined || !isAliasName(q)) return undefined;
    const alias = this.aliases.find(parsed.name, q);
    if (!alias) throw this.#notFound(parsed.name, q);
    return alias;
  }

  #version(nameOrArn: string, qualifier?: string): FunctionVersion {
    const key = qualifier === undefined ? nameOrArn : `${nameOrArn}\0${qualifier}`;
    let version = this.#versions.get(key);
    if (!version) {
      const parsed = parseFunctionRef(nameOrArn);
      version = this.#expand(this.#read(parsed.name, qualifier ?? parsed.qualifier ?? LATEST));
      this.#versions.set(key, version);
    }
    return version;
  }

  has(name: string): boolean {
    const parsed = parseFunctionRef(name);
    return this.#sql('SELECT 1 FROM invoke_functions WHERE name = ?').get(parsed.name) !== undefined;
  }

  /** $LATEST of every function, by name. */
  list(): FunctionVersion[] {
    const rows = this.#sql('SELECT config FROM invoke_function_versions WHERE version = ? ORDER BY name').all(
      LATEST,
    ) as Array<{ config: string }>;
    return rows.map((row) => this.#expand(JSON.parse(row.config) as StoredVersion));
  }

  /** $LATEST then the published versions in order. Throws ResourceNotFoundException. */
  listVersions(name: string): FunctionVersion[] {
    const fnName = this.#resolveName(name);
    const rows = this.#sql('SELECT config FROM invoke_function_versions WHERE name = ? ORDER BY ordinal').all(
      fnName,
    ) as Array<{ config: string }>;
    return rows.map((row) => this.#expand(JSON.parse(row.config) as StoredVersion));
  }

  /** Snapshots $LATEST as the next numbered version, or returns the last one if nothing changed since. */
  publish(name: string, description?: string): FunctionVersion {
    const fnName = this.#resolveName(name);
    const db = this.#context.db;
    return db.transaction(() => {
      const latest = this.#read(fnName, LATEST);
      const last = this.#sql(
        'SELECT config FROM invoke_function_versions WHERE name = ? AND ordinal > 0 ORDER BY ordinal DESC LIMIT 1',
      ).get(fnName) as { config: string } | undefined;
      if (last) {
        const previous = JSON.parse(last.config) as StoredVersion;
        if (sameSnapshot(previous, latest)) return this.#expand(previous);
      }
      const { next_version: ordinal } = this.#sql('SELECT next_version FROM invoke_functions WHERE name = ?').get(
        fnName,
      ) as { next_version: number };
      const version: StoredVersion = {
        ...latest,
        version: String(ordinal),
        description: description ?? latest.description,
        lastModified: awsTimestamp(),
        revisionId: randomUUID(),
      };
      this.#write(version, ordinal);
      this.#sql('UPDATE invoke_functions SET next_version = ? WHERE name = ?').run(ordinal + 1, fnName);
      return this.#expand(version);
    })();
  }

  /** Deletes a function (all versions, settings and code) or one published version. Throws ResourceNotFoundException. */
  delete(name: string, qualifier?: string): void {
    const parsed = parseFunctionRef(name);
    const fnName = this.#resolveName(parsed.name);
    const version = qualifier ?? parsed.qualifier;
    if (version !== undefined) {
      if (version === LATEST)
        throw new InvalidParameterValue('Qualifier: $LATEST version cannot be deleted without deleting the function');
      this.#read(fnName, version);
      const aliases = this.aliases.referencing(fnName, version);
      if (aliases.length) {
        throw new ResourceConflict(
          `Unable to delete version because the following aliases reference it: [${aliases.join(', ')}]`,
        );
      }
      this.#sql('DELETE FROM invoke_function_versions WHERE name = ? AND version = ?').run(fnName, version);
      this.policies.forget(fnName, version);
      this.#collectCode(fnName);
    } else {
      this.#sql('DELETE FROM invoke_functions WHERE name = ?').run(fnName);
      this.aliases.forget();
      rmSync(this.#root(fnName), { recursive: true, force: true });
      this.settingsChanged.publish(fnName);
    }
    this.#onChange(fnName);
  }

  /** Settings that are not part of a version. Throws ResourceNotFoundException. */
  settings(name: string): FunctionSettings {
    const row = this.#settingsRow(name);
    const config = row.event_invoke_config ? (JSON.parse(row.event_invoke_config) as EventInvokeConfig) : undefined;
    return {
      reservedConcurrency: row.reserved_concurrency,
      eventInvokeConfig: config ?? validateEventInvokeConfig({}),
    };
  }

  /** Sets (or with null removes) reserved concurrency. Throws InvalidParameterValueException, ResourceNotFoundException. */
  putConcurrency(name: string, reserved: number | null): void {
    validateConfig({ reservedConcurrency: reserved });
    const row = this.#settingsRow(name);
    this.#sql('UPDATE invoke_functions SET reserved_concurrency = ? WHERE name = ?').run(reserved, row.name);
    this.settingsChanged.publish(row.name);
  }

  /** Sum of reserved concurrency over all functions (capacity unreserved functions cannot use). */
  reservedTotal(): number {
    if (this.#reservedTotal === undefined) {
      const row = this.#sql('SELECT COALESCE(SUM(reserved_concurrency), 0) AS total FROM invoke_functions').get() as {
        total: number;
      };
      this.#reservedTotal = row.total;
    }
    return this.#reservedTotal;
  }

  /** Reserved concurrency of a function, or null when it has none or does not exist (the limiter's question). */
  reservedOf(name: string): number | null {
    // Asked once per invocation, nearly always with a plain name: only an ARN or a qualifier needs parsing.
    const fnName = name.includes(':') ? parseFunctionRef(name).name : name;
    return this.#settingsRowOf(fnName)?.reserved_concurrency ?? null;
  }

  /** Replaces the async retry/destination config (missing fields take defaults). Throws InvalidParameterValueException. */
  putEventInvokeConfig(name: string, config: Partial<EventInvokeConfig>): EventInvokeConfig {
    const row = this.#settingsRow(name);
    const valid = validateEventInvokeConfig(config);
    this.#sql('UPDATE invoke_functions SET event_invoke_config = ? WHERE name = ?').run(
      JSON.stringify(valid),
      row.name,
    );
    this.settingsChanged.publish(row.name);
    return valid;
  }

  /** The async config if one was ever put; undefined otherwise. Throws ResourceNotFoundException. */
  getEventInvokeConfig(name: string): EventInvokeConfig | undefined {
    const row = this.#settingsRow(name);
    return row.event_invoke_config ? (JSON.parse(row.event_invoke_config) as EventInvokeConfig) : undefined;
  }

  deleteEventInvokeConfig(name: string): void {
    const row = this.#settingsRow(name);
    this.#sql('UPDATE invoke_functions SET event_invoke_config = NULL WHERE name = ?').run(row.name);
    this.settingsChanged.publish(row.name);
  }

  #settingsRow(name: string): SettingsRow {
    const fnName = parseFunctionRef(name).name;
    const row = this.#settingsRowOf(fnName);
    if (!row) throw this.#notFound(fnName);
    return row;
  }

  #settingsRowOf(fnName: string): SettingsRow | undefined {
    let row = this.#settings.get(fnName);
    if (!row) {
      row = this.#sql(
        'SELECT name, reserved_concurrency, event_invoke_config FROM invoke_functions WHERE name = ?',
      ).get(fnName) as SettingsRow | undefined;
      if (row) this.#settings.set(fnName, row);
    }
    return row;
  }

  /** A prepared statement; one that writes forgets the cached lookups first. */
  #sql(sql: string): Statement {
    const statement = this.#statements(sql);
    if (!statement.reader) {
      this.#versions.clear();
      this.#settings.clear();
      this.#reservedTotal = undefined;
    }
    return statement;
  }

  #resolveName(name: string): string {
    const fnName = parseFunctionRef(name).name;
    if (!this.has(fnName)) throw this.#notFound(fnName);
    return fnName;
  }

  #read(name: string, version: string): StoredVersion {
    const row = this.#sql('SELECT config FROM invoke_function_versions WHERE name = ? AND version = ?').get(
      name,
      version,
    ) as { config: string } | undefined;
    if (!row) throw this.#notFound(name, version === LATEST ? undefined : version);
    return JSON.parse(row.config) as StoredVersion;
  }

  #write(version: StoredVersion, ordinal: number): void {
    this.#sql(
      'INSERT OR REPLACE INTO invoke_function_versions (name, version, ordinal, config) VALUES (?, ?, ?, ?)',
    ).run(version.name, version.version, ordinal, JSON.stringify(version));
  }

  #expand(stored: StoredVersion): FunctionVersion {
    const { codeKey, ...version } = stored;
    return {
      ...version,
      arn: functionArn(this.#context.region, stored.name, stored.version === LATEST ? undefined : stored.version),
      codeDir: join(this.#root(stored.name), codeKey),
    };
  }

  #root(name: string): string {
    return join(this.#context.dataDir, 'functions', name);
  }

  /** Removes code directories no remaining version refers to. */
  #collectCode(name: string): void {
    const rows = this.#sql('SELECT config FROM invoke_function_versions WHERE name = ?').all(name) as Array<{
      config: string;
    }>;
    const used = new Set(rows.map((row) => (JSON.parse(row.config) as StoredVersion).codeKey));
    for (const entry of readdirSync(this.#root(name))) {
      if (!used.has(entry) && !entry.startsWith('.tmp-'))
        rmSync(join(this.#root(name), entry), { recursive: true, force: true });
    }
  }

  #notFound(name: string, version?: string): ResourceNotFound {
    return new ResourceNotFound(`Function not found: ${functionArn(this.#context.region, name, version)}`);
  }
}

function sameSnapshot(a: StoredVersion, b: StoredVersion): boolean {
  const fields = [
    'codeSha256',
    'codeKey',
    'handler',
    'runtime',
    'memoryMb',
    'timeoutS',
    'ephemeralStorageMb',
    'deadLetterTargetArn',
  ] as const;
  return fields.every((f) => a[f] === b[f]) && JSON.stringify(a.environment) === JSON.stringify(b.environment);
}

/** AWS's LastModified format: 2024-01-02T03:04:05.678+0000. */
function awsTimestamp(): string {
  return new Date().toISOString().replace('Z', '+0000');
}
