// Runs every benchmark in turn (npm run bench). Each prints its figures beside a floor or a peer
// measured in the same run; pass --quick for short runs. Results are recorded in BENCHMARKS.md.
import { spawnSync } from 'node:child_process';

const quick = process.argv.includes('--quick');
const suites = [
  ['bench/invoke/run.js', quick ? ['--quick'] : []],
  ['bench/invoke/engine.js', quick ? ['--quick'] : []],
  ['bench/invoke/python.js', quick ? ['--quick'] : []],
  ['bench/objects/run.mjs', quick ? ['--big-mb', '64'] : []],
  ['bench/streams/ingest.js', quick ? ['--records', '20000'] : []],
  ['bench/streams/latency.js', quick ? ['--records', '100'] : []],
  ['bench/sns/run.js', quick ? ['--messages', '100', '--seconds', '2'] : []],
  ['bench/wordcount/run.js', quick ? ['--size', '128MB'] : []],
  ['bench/views/run.js', quick ? ['--mb', '5', '--visible', '50', '--queries', '500'] : []],
  ['bench/burst/run.js', quick ? ['--quick'] : []],
];

let failed = 0;
for (const [script, args] of suites) {
  process.stdout.write(`\n=== node ${script} ${args.join(' ')}\n`);
  const result = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    process.stdout.write(`!!! ${script} exited with ${result.status ?? result.signal}\n`);
  }
}
process.exitCode = failed ? 1 : 0;
