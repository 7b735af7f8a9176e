#!/usr/bin/env node
// Word-count benchmark (run after `npm run build`):
//   node bench/wordcount/run.js [--size 1GB] [--objects 16] [--split 64MB] [--fanout 10] [--skip-wordfreq]
// Generates a deterministic natural-language-like corpus (Zipf words, varied line lengths) into the
// store, runs wordcount and wordfreq jobs end to end, and prints MB/s beside GNU `wc -w` on the same
// bytes, a plain single-process Node implementation, and each mapper kernel alone on bytes in memory
// (the WebAssembly kernels and, for comparison, the JavaScript loops they replaced, with CPU time);
// then times a job over 1,000 tiny objects and ends with a summary against the targets and
// the load average (stderr; the JSON record goes to stdout).
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { createEngine } = await import(join(root, 'dist/engine.js'));
const { startServer } = await import(join(root, 'dist/api/index.js'));
const { generateChunks } = await import(join(root, 'dist/jobs/index.js'));

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '1GB' },
    objects: { type: 'string', default: '16' },
    split: { type: 'string', default: '64MB' },
    fanout: { type: 'string', default: '10' },
    'skip-wordfreq': { type: 'boolean', default: false },
  },
});
const MB = 1024 * 1024;
const size = parseSize(values.size);
const objectCount = Number(values.objects);

const work = mkdtempSync(join(tmpdir(), 'lambdata-bench-'));
const engine = await createEngine({ dataDir: join(work, 'data') });
const server = await startServer(engine, { port: 0 });
const rows = [];
const record = (name, bytes, ms, note = '') => {
  rows.push({ name, mb: bytes / MB, s: ms / 1000, mbps: bytes / MB / (ms / 1000), note });
  console.error(`${name}: ${(bytes / MB / (ms / 1000)).toFixed(1)} MB/s (${(ms / 1000).toFixed(2)} s) ${note}`);
};

try {
  // 1. Corpus: the same bytes into the store and into one local file for `wc`.
  engine.objects.createBucket('bench');
  const file = join(work, 'corpus.txt');
  const out = createWriteStream(file);
  let t = Date.now();
  let written = 0;
  for (let i = 0; i < objectCount; i++) {
    const chunks = [...generateChunks({ seed: 7 + i, bytes: Math.ceil(size / objectCount) })];
    for (const c of chunks) out.write(c);
    const body = Buffer.concat(chunks);
    written += body.length;
    await engine.objects.putObject('bench', `corpus/part-${String(i).padStart(4, '0')}.txt`, body);
  }
  await new Promise((resolve) => out.end(resolve));
  console.error(
    `generated ${(written / MB).toFixed(0)} MB in ${objectCount} objects (${((Date.now() - t) / 1000).toFixed(1)} s)`,
  );

  // 2. Baselines on the same bytes.
  t = Date.now();
  const wc = execFileSync('wc', ['-w', file], { env: { LC_ALL: 'C', PATH: process.env.PATH } })
    .toString()
    .trim()
    .split(/\s+/)[0];
  record('GNU wc -w (LC_ALL=C)', written, Date.now() - t, `words=${wc}`);

  t = Date.now();
  let naive = 0;
  for await (const chunk of Readable.from(
    (await import('node:fs')).createReadStream(file, { encoding: 'latin1', highWaterMark: 4 * MB }),
  )) {
    naive += chunk.split(/[ \t\n\v\f\r]+/).filter(Boolean).length; // ignores words cut at chunk edges: a baseline for speed
  }
  record('single-process Node (split regex)', written, Date.now() - t, `words≈${naive}`);

  const text = await loadModule('functions/lib/text.ts');
  const { WordCounter } = await loadModule('functions/lib/wasm-words.ts');
  const { WordTable } = await loadModule('functions/lib/word-table.ts');
  const sample = (await import('node:fs')).readFileSync(file).subarray(0, Math.min(written, 256 * MB));
  const inMemory = (name, fn) => {
    fn(sample.subarray(0, 8 * MB)); // warm the JIT
    const cpu = process.cpuUsage();
    const started = Date.now();
    const note = fn(sample);
    const used = process.cpuUsage(cpu);
    record(name, sample.length, Date.now() - started, `${note} cpu=${((used.user + used.system) / 1000).toFixed(0)}ms`);
  };
  inMemory('wordcount kernel (WebAssembly SIMD), one core, in memory', (b) => `words=${text.countText(b).words}`);
  inMemory(
    'wordcount scalar JS loop (previous kernel), one core, in memory',
    (b) => `words=${text.countTextScalar(b).words}`,
  );
  inMemory('wordfreq kernel (WebAssembly table), one core, in memory', (b) => {
    const counter = new WordCounter();
    counter.add(b);
    return `distinct=${counter.size}`;
  });
  inMemory('wordfreq JS loop (previous kernel), one core, in memory', (b) => {
    const table = new WordTable();
    text.countWords(b, table);
    return `distinct=${table.size}`;
  });

  // 3. Jobs end to end (built-ins deployed and warmed first, as a user's second run would be).
  await engine.jobs.deployBuiltins();
  for (const mapper of values['skip-wordfreq'] ? ['wordcount'] : ['wordcount', 'wordfreq']) {
    await engine.jobs.wait(
      engine.jobs.submit({
        mapper,
        input: { bucket: 'bench', keys: ['corpus/part-0000.txt'] },
        // As many tasks as the measured job runs, so each of its mappers finds a warm environment.
        splitSize: Math.max(64 * 1024, Math.ceil(written / objectCount / Math.min(objectCount, 16))),
      }).id,
    );
  }
  const spec = {
    input: { bucket: 'bench', prefix: 'corpus/' },
    splitSize: parseSize(values.split),
    fanout: Number(values.fanout),
  };
  t = Date.now();
  const wcJob = await engine.jobs.wait(engine.jobs.submit({ mapper: 'wordcount', ...spec }).id);
  record(
    'lambdata wordcount job',
    written,
    Date.now() - t,
    `words=${wcJob.result?.totals.words} ${wcJob.status} invocations=${wcJob.cost?.invocations} lambda=$${wcJob.cost?.lambdaUsd}`,
  );
  if (String(wcJob.result?.totals.words) !== wc)
    console.error(`MISMATCH: job ${wcJob.result?.totals.words} vs wc ${wc}`);
  if (!values['skip-wordfreq']) {
    t = Date.now();
    const wfJob = await engine.jobs.wait(engine.jobs.submit({ mapper: 'wordfreq', partitions: 4, ...spec }).id);
    record('lambdata wordfreq job', written, Date.now() - t, `distinct=${wfJob.result?.distinctWords} ${wfJob.status}`);
  }

  // 4. 1,000 tiny objects.
  await Promise.all(
    Array.from({ length: 1000 }, (_, i) =>
      engine.objects.putObject('bench', `tiny/${String(i).padStart(4, '0')}`, `tiny object number ${i}\n`),
    ),
  );
  await engine.jobs.wait(engine.jobs.submit({ mapper: 'wordcount', input: { bucket: 'bench', prefix: 'tiny/' } }).id);
  t = Date.now();
  const tiny = await engine.jobs.wait(
    engine.jobs.submit({ mapper: 'wordcount', input: { bucket: 'bench', prefix: 'tiny/' } }).id,
  );
  const tinyMs = Date.now() - t;
  console.error(
    `1,000 tiny objects: ${(tinyMs / 1000).toFixed(2)} s (${tiny.status}, words=${tiny.result?.totals.words})`,
  );

  const wcRow = rows.find((r) => r.name.startsWith('GNU wc'));
  const target = (name, goal) => {
    const row = rows.find((r) => r.name === name);
    if (!row) return;
    console.error(
      `${name}: ${row.mbps.toFixed(1)} MB/s = ${(row.mbps / wcRow.mbps).toFixed(2)}× wc -w; target ≥ ${goal} MB/s: ${row.mbps >= goal ? 'met' : 'NOT met'}`,
    );
  };
  console.error(
    `\nsummary (${(await import('node:os')).cpus().length} cores, load ${(await import('node:os'))
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')})`,
  );
  target('lambdata wordcount job', 400);
  target('lambdata wordfreq job', 150);
  console.error(
    `1,000 tiny objects: ${(tinyMs / 1000).toFixed(2)} s; target < 2 s: ${tinyMs < 2000 ? 'met' : 'NOT met'}`,
  );

  console.log(
    JSON.stringify(
      {
        sizeBytes: written,
        load: (await import('node:os')).loadavg(),
        objects: objectCount,
        cores: (await import('node:os')).cpus().length,
        rows,
        tinyObjectsSeconds: tinyMs / 1000,
      },
      null,
      2,
    ),
  );
} finally {
  await server.close();
  await engine.close();
  rmSync(work, { recursive: true, force: true });
}

/** One of the mappers' modules (TypeScript), bundled on the fly. */
async function loadModule(path) {
  const result = await build({
    entryPoints: [join(root, path)],
    bundle: true,
    format: 'esm',
    platform: 'node',
    write: false,
  });
  const code = result.outputFiles[0].text;
  return import(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new Error(`not a size: ${text}`);
  return Math.round(Number(m[1]) * { '': 1, K: 1024, M: MB, G: 1024 * MB }[m[2].toUpperCase()]);
}
