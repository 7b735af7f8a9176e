// Runs every benchmark in turn (npm run bench). Each prints its figures beside a floor or a peer
// measured in the same run; pass --quick for short runs. Results are recorded in BENCHMARKS.md.
import { spawnSync } from 'node:child_process';

const quick = process.argv.includes('--quick');
const suites = [
  ['bench/invoke/run.js', quick ? ['--quick'] : []],
  ['bench/invoke/engine.js', quick ? ['--quick'] : []],
  ['bench/invoke/serve.js', quick ? ['--quick'] : []],
  ['bench/invoke/signed-replay.js', quick ? ['--quick'] : []],
  ['bench/invoke/sigv4.js', quick ? ['--quick'] : []],
  ['bench/invoke/bookkeeping.js', quick ? ['--quick'] : []],
  ['bench/invoke/python.js', quick ? ['--quick'] : []],
  ['bench/invoke/java.js', quick ? ['--quick'] : []],
  ['bench/invoke/sandbox.js', quick ? ['--quick'] : []],
  ['bench/invoke/sandbox-serve.js', quick ? ['--quick'] : []],
  ['bench/objects/run.mjs', quick ? ['--big-mb', '64', '--keys', '10000'] : []],
  ['bench/objects/get-serve.js', quick ? ['--quick'] : []],
  ['bench/streams/ingest.js', quick ? ['--records', '20000'] : []],
  ['bench/streams/latency.js', quick ? ['--records', '100'] : []],
  ['bench/sns/run.js', quick ? ['--messages', '100', '--seconds', '2'] : []],
  ['bench/sns/throughput.js', quick ? ['--processes', '2', '--seconds', '3'] : []],
  ['bench/wordcount/run.js', quick ? ['--size', '32MB'] : []],
  ['bench/wordcount/cli.js', quick ? ['--quick'] : []],
  ['bench/wordcount/progress.js', quick ? ['--size', '32MB', '--rounds', '1'] : []],
  ['bench/jobs/cleanup.js', quick ? ['--size', '16MB', '--runs', '10'] : []],
  ['bench/jobs/progress-events.js', quick ? ['--objects', '500', '--rounds', '1'] : []],
  ['bench/views/run.js', quick ? ['--quick'] : []],
  ['bench/burst/run.js', quick ? ['--quick'] : []],
];

let failed = 0;
const started = performance.now();
for (const [script, args] of suites) {
  process.stdout.write(`\n=== node ${script} ${args.join(' ')}\n`);
  const began = performance.now();
  const result = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
  const seconds = ((performance.now() - began) / 1000).toFixed(1);
  if (result.status !== 0) {
    failed++;
    process.stdout.write(`!!! ${script} exited with ${result.status ?? result.signal} after ${seconds} s\n`);
  } else process.stdout.write(`=== ${script} done in ${seconds} s\n`);
}
process.stdout.write(
  `\n${suites.length - failed} of ${suites.length} benchmarks ran in ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
);
process.exitCode = failed ? 1 : 0;
