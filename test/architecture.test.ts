import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The layering of DESIGN.md, top to bottom. A part may import parts below it, never one above it
 * or beside it (so no two parts import each other). `engine` is the composition root over the core
 * (src/engine.ts) and `package` the library entry (src/index.ts).
 */
const LAYERS: readonly (readonly string[])[] = [
  ['package'],
  ['cli', 'web'],
  ['api'],
  ['engine'],
  ['lambda-arch', 'targets', 'templates'],
  ['jobs'],
  ['events'],
  ['invoke'],
  ['runtime'],
  ['storage/objects', 'storage/streams', 'storage/tables', 'storage/queues', 'storage/topics'],
  ['state'],
  ['shared'],
];

/** Bottom parts whose modules every layer imports by path; see KNOWN_DEEP_IMPORTS for the rest. */
const OPEN_PARTS = new Set(['shared', 'state']);

/**
 * Imports that reach past a part's index.ts, each with its reason. The list may shrink, never grow.
 * cli/ must not load the engine's modules; the package entry re-exports types. (web/, bundled for
 * the browser, now takes its types from the native API's contract alone.)
 */
const KNOWN_DEEP_IMPORTS = new Set([
  'src/cli/functions-deploy.ts -> src/invoke/limits.ts',
  'src/index.ts -> src/invoke/types.ts',
]);

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** `import … from`, `export … from`, `import '…'` and `import('…')` of a relative path. */
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

interface Edge {
  from: string;
  to: string;
}

/** The part a source file belongs to (`storage/queues`, `invoke`, `engine` …). */
function partOf(file: string): string {
  const [top = '', second] = relative('src', file).split(sep);
  if (top === 'engine.ts') return 'engine';
  if (top === 'index.ts') return 'package';
  return top === 'storage' && second ? `storage/${second}` : top;
}

function rankOf(part: string): number {
  const rank = LAYERS.findIndex((layer) => layer.includes(part));
  if (rank < 0) throw new Error(`${part} is not in LAYERS: add it where DESIGN.md puts it`);
  return LAYERS.length - rank;
}

/** Every relative import from one file under src to another (unit tests included), as repository paths. */
function edgesOf(files: readonly string[], read: (file: string) => string): Edge[] {
  return files
    .flatMap((from) =>
      [...read(from).matchAll(IMPORT)].map((m) => ({
        from,
        to: relative(ROOT, resolve(ROOT, dirname(from), (m[1] ?? m[2]) as string)).replace(/\.js$/, '.ts'),
      })),
    )
    .filter(({ to }) => to.startsWith(`src${sep}`));
}

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** What is wrong with the imports: a lower part importing a higher one, or parts side by side importing each other. */
function layerViolations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const [a, b] = [partOf(from), partOf(to)];
    if (a === b) continue;
    if (rankOf(a) <= rankOf(b)) out.push(`${from} (${a}) imports ${to} (${b}), which is not below it`);
  }
  return out;
}

/**
 * The native API's client surface: its request/answer types and its error, which the CLI and the
 * browser bundle import without loading any server code (api/index.ts would).
 */
const CLIENT_SURFACE = new Set(['src/api/native/contract.ts', 'src/api/native/api-error.ts']);

/** Imports that reach into another part past its index.ts. */
function deepImports(edges: readonly Edge[]): string[] {
  return edges
    .filter(({ from, to }) => {
      const target = partOf(to);
      return partOf(from) !== target && !OPEN_PARTS.has(target) && !['engine', 'package'].includes(target);
    })
    .filter(({ to }) => !to.endsWith('/index.ts'))
    .filter(({ from, to }) => !(CLIENT_SURFACE.has(to) && /^src\/(cli|web)\//.test(from)))
    .map(({ from, to }) => `${from} -> ${to}`);
}

const edges = edgesOf(sources('src'), (file) => readFileSync(join(ROOT, file), 'utf8'));

describe('dependency direction (DESIGN.md)', () => {
  it('reads the imports of the whole tree', () => {
    expect(edges.length).toBeGreaterThan(500);
    expect(edges).toContainEqual({ from: 'src/engine.ts', to: 'src/invoke/index.ts' });
  });

  it('has every import point downward: no part imports one above or beside it', () => {
    expect(layerViolations(edges)).toEqual([]);
  });

  it('keeps the core (runtime, invoke, storage, events, jobs, lambda-arch) free of api/, cli/ and web/', () => {
    const core = ['runtime', 'invoke', 'storage', 'events', 'jobs', 'lambda-arch', 'state', 'shared'];
    const outward = edges.filter(
      ({ from, to }) => core.includes(partOf(from).split('/')[0] as string) && /^src\/(api|cli|web)\//.test(to),
    );
    expect(outward).toEqual([]);
  });

  it('imports other parts through their index.ts (shared/ and state/ aside)', () => {
    const deep = deepImports(edges);
    expect(deep.filter((edge) => !KNOWN_DEEP_IMPORTS.has(edge))).toEqual([]);
    // An exception whose import is gone leaves the list, so it cannot hide a new one later.
    expect([...KNOWN_DEEP_IMPORTS].filter((edge) => !deep.includes(edge))).toEqual([]);
  });

  it('catches an upward import, a pair of parts importing each other and a reach past index.ts', () => {
    const bad: Edge[] = [
      { from: 'src/runtime/pool.ts', to: 'src/invoke/types.ts' },
      { from: 'src/storage/queues/queue-store.ts', to: 'src/storage/tables/index.ts' },
      { from: 'src/storage/tables/table-store.ts', to: 'src/storage/queues/index.ts' },
      { from: 'src/invoke/registry.ts', to: 'src/api/index.ts' },
    ];
    expect(layerViolations(bad)).toHaveLength(4);
    expect(deepImports(bad)).toEqual(['src/runtime/pool.ts -> src/invoke/types.ts']);
    expect(layerViolations([{ from: 'src/api/server.ts', to: 'src/invoke/index.ts' }])).toEqual([]);
  });
});
