import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AUTH_ERROR_TYPES } from '../src/api/aws/errors.js';
import { CODE_MAP, S3_ERRORS } from '../src/api/aws/s3/errors.js';
import { SNS_CODES } from '../src/api/aws/sns/errors.js';
import { AUTH_CODES, QUERY_CODES } from '../src/api/aws/sqs/errors.js';
import { RUN_ERRORS } from '../src/runtime/run-errors.js';

/**
 * The error catalogue: each part declares its errors in its `errors.ts` (the runtime's in
 * `run-errors.ts`), every declared code is raised somewhere in src, and docs/ERRORS.md lists them.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOC = readFileSync(join(ROOT, 'docs/ERRORS.md'), 'utf8');

interface Source {
  path: string;
  text: string;
}

const sources: Source[] = listTs(join(ROOT, 'src')).map((file) => ({
  path: relative(ROOT, file),
  text: readFileSync(file, 'utf8'),
}));
const errorFiles = sources.filter((s) => /(^|-)errors\.ts$/.test(basename(s.path)));
const allText = sources.map((s) => s.text).join('\n');

/** Every class that is a LambdataError, by name, with the file declaring it. */
function lambdataErrorClasses(): Map<string, Source> {
  const declared = [...sources].flatMap((source) =>
    [...source.text.matchAll(/class (\w+) extends (\w+)/g)].map(([, name, base]) => ({ name, base, source })),
  );
  const family = new Map<string, Source>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const c of declared) {
      if (family.has(c.name as string)) continue;
      if (c.base === 'LambdataError' || family.has(c.base as string)) {
        family.set(c.name as string, c.source);
        grew = true;
      }
    }
  }
  return family;
}

/** Codes an errors file gives its classes: `super('Code', …)`, `super(CONST, …)`, `code: 'A' | 'B'`. */
function classCodes(source: Source): Array<{ code: string; className: string }> {
  const found: Array<{ code: string; className: string }> = [];
  const constants = new Map(
    [...source.text.matchAll(/const (\w+) = '([^']+)'/g)].map(([, name, value]) => [name, value] as const),
  );
  for (const block of source.text.split(/(?=export class )/).slice(1)) {
    const className = /^export class (\w+)/.exec(block)?.[1] as string;
    for (const [, literal, constant] of block.matchAll(/super\(\s*(?:'([^']+)'|([A-Z_]+)\b)/g)) {
      const code = literal ?? constants.get(constant as string);
      if (code) found.push({ code, className });
    }
    for (const [, union] of block.matchAll(/code: ('[^']+'(?:\s*\|\s*'[^']+')*)/g)) {
      for (const [, code] of (union as string).matchAll(/'([^']+)'/g)) found.push({ code: code as string, className });
    }
  }
  return found;
}

/** The codes docs/ERRORS.md lists: the first cell of each table row, in backticks. */
function documentedCodes(): Set<string> {
  return new Set([...DOC.matchAll(/^\| `([^`]+)`/gm)].map(([, code]) => code as string));
}

const declared = new Map<string, string>(); // code → where it is declared
for (const source of errorFiles) for (const { code } of classCodes(source)) declared.set(code, source.path);
for (const code of Object.keys(S3_ERRORS)) declared.set(code, 'src/api/aws/s3/errors.ts');
for (const code of Object.values(RUN_ERRORS)) declared.set(code, 'src/runtime/run-errors.ts');
// Wire names of declared codes: [engine code, name on the wire].
const aliases = [CODE_MAP, QUERY_CODES, AUTH_CODES, AUTH_ERROR_TYPES, SNS_CODES].flatMap((map) => Object.entries(map));

describe('error catalogue', () => {
  it('declares every error class in its part’s errors file, and no code inline', () => {
    const misplaced = [...lambdataErrorClasses()]
      .filter(([, source]) => !errorFiles.includes(source))
      .map(([name, source]) => `${name} in ${source.path}`);
    // cli/ and web/ are clients of the API, and ApiError is the error they read off it: their errors
    // are not answered on any wire.
    const plainErrors = sources
      .filter((s) => !/^src\/(cli|web)\/|^src\/api\/native\/api-error\.ts$/.test(s.path) && !errorFiles.includes(s))
      .flatMap((s) => [...s.text.matchAll(/class (\w+) extends Error\b/g)].map(([, name]) => `${name} in ${s.path}`));
    const inline = sources
      .filter((s) => !errorFiles.includes(s) && s.path !== 'src/shared/errors.ts')
      .filter((s) => s.text.includes('new LambdataError('))
      .map((s) => s.path);
    expect({ misplaced, plainErrors, inline }).toEqual({ misplaced: [], plainErrors: [], inline: [] });
  });

  it('raises every declared code somewhere in src', () => {
    const unused: string[] = [];
    const classes = lambdataErrorClasses();
    for (const source of errorFiles) {
      for (const { code, className } of classCodes(source)) {
        const subclassed = [...allText.matchAll(new RegExp(`class (\\w+) extends ${className}\\b`, 'g'))];
        const constructed = new RegExp(`new ${className}\\(`).test(allText);
        if (!constructed && !(subclassed.length > 0 && classes.has(className))) unused.push(`${code} (${className})`);
      }
    }
    for (const code of Object.keys(S3_ERRORS)) {
      const s3 = sources.filter((s) => s.path.startsWith('src/api/aws/s3/'));
      if (!s3.some((s) => s.text.includes(`'${code}'`))) unused.push(`${code} (S3_ERRORS)`);
    }
    for (const key of Object.keys(RUN_ERRORS)) {
      if (!allText.includes(`RUN_ERRORS.${key}`)) unused.push(`${key} (RUN_ERRORS)`);
    }
    expect(unused).toEqual([]);
  });

  it('maps only declared codes to their wire names', () => {
    const engineCodes = new Set([...declared.keys()]);
    expect(aliases.map(([code]) => code).filter((code) => !engineCodes.has(code))).toEqual([]);
  });

  it('lists every declared code and wire name in docs/ERRORS.md, and nothing else', () => {
    const documented = documentedCodes();
    const known = new Set([...declared.keys(), ...aliases.map(([, wire]) => wire)]);
    expect({
      undocumented: [...known].filter((code) => !documented.has(code)).sort(),
      stale: [...documented].filter((code) => !known.has(code)).sort(),
    }).toEqual({ undocumented: [], stale: [] });
  });
});

function listTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return listTs(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}
