// The batch mapper's per-event work on one core, in memory, beside its floor: JSON.parse per line
// alone; then parse + event time + the built-in word-count-hourly view folded per (hour, word), with
// JSON.parse and with the mapper's fast path (only the view's declared fields read from each line);
// then the batch mapper's own fold (LineFolder) over the bytes, as it reads an inflated object.
// Each figure is the best of three passes in MB/s of wall time and in CPU-s per GB of this process
// (the one to trust on a shared machine).
// Usage: npm run build && node bench/views/fold.js [--events 100000]
import { parseArgs } from 'node:util';
import { BUILTIN_VIEWS } from '../../dist/lambda-arch/builtin-views.js';
import { pickFields } from '../../dist/lambda-arch/event-fields.js';
import { LineFolder } from '../../dist/lambda-arch/line-fold.js';
import { eventTime, resolveView, ViewAccumulator } from '../../dist/lambda-arch/view-module.js';
import { tweets } from './lib.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '100000' } } });
const text = `${[...tweets(Number(values.events), { extraWord: 'benchmarkword' })].map((t) => JSON.stringify(t)).join('\n')}\n`;
const mb = Buffer.byteLength(text) / 1e6;
const view = resolveView(BUILTIN_VIEWS['word-count-hourly']);

/** Best of three passes (after one to warm up): MB/s of wall time, and CPU-s per GB. */
function rate(pass) {
  let best = Number.POSITIVE_INFINITY;
  let bestCpu = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 4; i++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    pass();
    const used = process.cpuUsage(cpu);
    if (i > 0) {
      best = Math.min(best, performance.now() - start);
      bestCpu = Math.min(bestCpu, (used.user + used.system) / 1e6);
    }
  }
  return { mbs: mb / (best / 1000), cpuPerGb: bestCpu / (mb / 1000) };
}

/** One result line: the pass's figures and their ratio to the floor's. */
function row(name, r) {
  const ratio =
    floor === r
      ? ''
      : `   ${(r.mbs / floor.mbs).toFixed(2)}× the floor (CPU: ${(floor.cpuPerGb / r.cpuPerGb).toFixed(2)}×)`;
  console.log(
    `${name.padEnd(40)} ${r.mbs.toFixed(1).padStart(6)} MB/s  ${r.cpuPerGb.toFixed(2).padStart(5)} CPU-s/GB${ratio}`,
  );
}

const floor = rate(() => {
  for (const line of text.split('\n')) if (line) JSON.parse(line);
});
const fold = rate(() => {
  const acc = new ViewAccumulator(view);
  for (const line of text.split('\n')) {
    if (!line) continue;
    const event = JSON.parse(line);
    acc.add(event, eventTime(event, 'created_at'));
  }
});
const wanted = new Set([...(view.fields ?? []), 'created_at']);
const fast = rate(() => {
  const acc = new ViewAccumulator(view);
  for (const line of text.split('\n')) {
    if (!line) continue;
    const event = pickFields(line, wanted) ?? JSON.parse(line);
    acc.add(event, eventTime(event, 'created_at'));
  }
});
const bytes = Buffer.from(text);
const mapper = rate(() => {
  const folder = new LineFolder(view, { from: -8.64e15, horizon: 8.64e15, timeField: 'created_at' });
  folder.fold(bytes, 0, bytes.length);
});
console.log(`${mb.toFixed(1)} MB of tweets, one core, in memory`);
row('JSON.parse per line (floor)', floor);
row('parse + time + word-count-hourly fold', fold);
row('the same, declared fields only', fast);
row("the mapper's fold over the bytes", mapper);
