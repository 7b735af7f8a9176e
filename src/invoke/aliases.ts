import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { functionArn } from '../shared/arn.js';
import { InvalidParameterValue, ResourceConflict, ResourceNotFound } from '../shared/errors.js';
import { type Db, migrate } from '../state/db.js';
import { statementCache } from './statements.js';

/** A function alias: a name pointing at a version, optionally sending a share of invocations to a second one. */
export interface FunctionAlias {
  functionName: string;
  name: string;
  /** The primary version: `$LATEST` or a published version number. */
  functionVersion: string;
  description: string;
  /** At most one other published version and the share (0–1) of invocations it gets. */
  additionalVersionWeights: Record<string, number>;
  revisionId: string;
}

/** What CreateAlias and UpdateAlias take; UpdateAlias keeps what is left out. */
export interface AliasInput {
  functionVersion?: string;
  description?: string;
  additionalVersionWeights?: Record<string, number>;
}

/** What the alias store asks of the function registry. */
export interface AliasDeps {
  db: Db;
  region: string;
  /** True when the function has that version. */
  hasVersion(functionName: string, version: string): boolean;
  /** Called after an alias is deleted (its resource policy goes with it). */
  onDelete(functionName: string, name: string): void;
}

const ALIAS_NAME = /^(?!\d+$)[a-zA-Z0-9_-]{1,128}$/;
const VERSION = /^(\$LATEST|\d+)$/;
const PUBLISHED = /^\d+$/;
const MAX_DESCRIPTION = 256;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS invoke_function_aliases (
  function_name TEXT NOT NULL REFERENCES invoke_functions(name) ON DELETE CASCADE,
  name TEXT NOT NULL,
  config TEXT NOT NULL,
  PRIMARY KEY (function_name, name)
);`;

/** True when a qualifier names an alias rather than `$LATEST` or a version number. */
export function isAliasName(qualifier: string): boolean {
  return qualifier !== '$LATEST' && !PUBLISHED.test(qualifier);
}

/**
 * The aliases of every function, durable in SQLite (deleted with their function). Validates as
 * the Lambda API does, and picks the version an invocation of an alias runs.
 */
export class FunctionAliases {
  #deps: AliasDeps;
  #statements: (sql: string) => Statement;
  /** Aliases by `function\0alias`, read once: every invocation by alias looks one up. */
  #cache = new Map<string, FunctionAlias | null>();

  constructor(deps: AliasDeps) {
    this.#deps = deps;
    migrate(deps.db, SCHEMA);
    this.#statements = statementCache(deps.db);
  }

  /** @throws ResourceConflictException when it exists; InvalidParameterValueException for a bad name, version or weights. */
  create(functionName: string, name: string, input: AliasInput): FunctionAlias {
    if (!ALIAS_NAME.test(name)) {
      throw new InvalidParameterValue(
        `Name: '${name}' must be 1-128 letters, digits, hyphens or underscores, and not only digits`,
      );
    }
    if (input.functionVersion === undefined) throw new InvalidParameterValue('FunctionVersion is required');
    const alias = this.#checked({
      functionName,
      name,
      functionVersion: input.functionVersion,
      description: input.description ?? '',
      additionalVersionWeights: input.additionalVersionWeights ?? {},
      revisionId: randomUUID(),
    });
    this.#deps.db.transaction(() => {
      if (this.find(functionName, name)) {
        throw new ResourceConflict(`Alias already exists: ${this.arn(functionName, name)}`);
      }
      this.#sql('INSERT INTO invoke_function_aliases (function_name, name, config) VALUES (?, ?, ?)').run(
        functionName,
        name,
        JSON.stringify(alias),
      );
    })();
    return alias;
  }

  /** @throws ResourceNotFoundException */
  get(functionName: string, name: string): FunctionAlias {
    const alias = this.find(functionName, name);
    if (!alias) throw new ResourceNotFound(`Alias not found: ${this.arn(functionName, name)}`);
    return alias;
  }

  find(functionName: string, name: string): FunctionAlias | undefined {
    const key = `${functionName}\0${name}`;
    let alias = this.#cache.get(key);
    if (alias === undefined) {
      const row = this.#sql('SELECT config FROM invoke_function_aliases WHERE function_name = ? AND name = ?').get(
        functionName,
        name,
      ) as { config: string } | undefined;
      alias = row ? (JSON.parse(row.config) as FunctionAlias) : null;
      this.#cache.set(key, alias);
    }
    return alias ?? undefined;
  }

  /** A function's aliases by name; with `version`, only those that send it invocations. */
  list(functionName: string, version?: string): FunctionAlias[] {
    const rows = this.#sql('SELECT config FROM invoke_function_aliases WHERE function_name = ? ORDER BY name').all(
      functionName,
    ) as Array<{ config: string }>;
    const aliases = rows.map((row) => JSON.parse(row.config) as FunctionAlias);
    return version === undefined ? aliases : aliases.filter((a) => routesTo(a, version));
  }

  /** Changes an alias (a new RevisionId). @throws ResourceNotFoundException, InvalidParameterValueException */
  update(functionName: string, name: string, input: AliasInput): FunctionAlias {
    return this.#deps.db.transaction(() => {
      const current = this.get(functionName, name);
      const next = this.#checked({
        ...current,
        ...(input.functionVersion !== undefined ? { functionVersion: input.functionVersion } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
        ...(input.additionalVersionWeights !== undefined
          ? { additionalVersionWeights: input.additionalVersionWeights }
          : {}),
        revisionId: randomUUID(),
      });
      this.#sql('UPDATE invoke_function_aliases SET config = ? WHERE function_name = ? AND name = ?').run(
        JSON.stringify(next),
        functionName,
        name,
      );
      return next;
    })();
  }

  /** Deletes an alias; deleting one that does not exist succeeds, as on AWS. */
  delete(functionName: string, name: string): void {
    this.#sql('DELETE FROM invoke_function_aliases WHERE function_name = ? AND name = ?').run(functionName, name);
    this.#deps.onDelete(functionName, name);
  }

  /** Names of the aliases that send invocations to `version` (a version they name cannot be deleted). */
  referencing(functionName: string, version: string): string[] {
    return this.list(functionName, version).map((a) => a.name);
  }

  /** The version one invocation of the alias runs: the additional version with its weight's chance, else the primary. */
  choose(alias: FunctionAlias, random = Math.random()): string {
    let threshold = 0;
    for (const [version, weight] of Object.entries(alias.additionalVersionWeights)) {
      threshold += weight;
      if (random < threshold) return version;
    }
    return alias.functionVersion;
  }

  /** The alias ARN `arn:aws:lambda:<region>:<account>:function:<fn>:<alias>`. */
  arn(functionName: string, name: string): string {
    return functionArn(this.#deps.region, functionName, name);
  }

  /** Forgets cached aliases (their function was deleted). */
  forget(): void {
    this.#cache.clear();
  }

  #checked(alias: FunctionAlias): FunctionAlias {
    const { functionName, functionVersion, additionalVersionWeights: weights } = alias;
    if (!VERSION.test(functionVersion)) {
      throw new InvalidParameterValue(`FunctionVersion: '${functionVersion}' must be $LATEST or a version number`);
    }
    if (!this.#deps.hasVersion(functionName, functionVersion)) {
      throw new ResourceNotFound(
        `Function not found: ${functionArn(this.#deps.region, functionName, functionVersion)}`,
      );
    }
    if (alias.description.length > MAX_DESCRIPTION) {
      throw new InvalidParameterValue(`Description must be at most ${MAX_DESCRIPTION} characters`);
    }
    const entries = Object.entries(weights);
    if (entries.length > 1) {
      throw new InvalidParameterValue('RoutingConfig: AdditionalVersionWeights can name only one additional version');
    }
    for (const [version, weight] of entries) {
      if (!PUBLISHED.test(version)) {
        throw new InvalidParameterValue(`RoutingConfig: additional version '${version}' must be a published version`);
      }
      if (!PUBLISHED.test(functionVersion)) {
        throw new InvalidParameterValue(
          'RoutingConfig: the alias must point at a published version to route between two',
        );
      }
      if (version === functionVersion) {
        throw new InvalidParameterValue(
          `RoutingConfig: additional version ${version} must differ from the alias's version ${functionVersion}`,
        );
      }
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 1) {
        throw new InvalidParameterValue(`RoutingConfig: the weight of version ${version} must be between 0.0 and 1.0`);
      }
      if (!this.#deps.hasVersion(functionName, version)) {
        throw new ResourceNotFound(`Function not found: ${functionArn(this.#deps.region, functionName, version)}`);
      }
    }
    return alias;
  }

  /** A prepared statement; one that writes forgets the cached aliases first. */
  #sql(sql: string): Statement {
    const statement = this.#statements(sql);
    if (!statement.reader) this.#cache.clear();
    return statement;
  }
}

function routesTo(alias: FunctionAlias, version: string): boolean {
  return alias.functionVersion === version || version in alias.additionalVersionWeights;
}
