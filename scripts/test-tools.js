// Runs before `npm test`: the tests drive Debian's Chromium (/usr/bin/chromium) and the AWS CLI (`aws`),
// run Python functions on Debian's python3 with its boto3, and Java functions on a JDK (javac also builds
// lambdata's Java runtime); the quick benchmarks that end `npm test` use curl as a floor. When one is missing and this is root on a machine with apt-get, it installs them; otherwise it stops
// with the exact command to run. `--dry-run` only prints what it would do.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const CHROMIUM = process.env.LAMBDATA_CHROMIUM || '/usr/bin/chromium';
const dryRun = process.argv.includes('--dry-run');

const missing = [];
if (!existsSync(CHROMIUM)) missing.push('chromium');
if (!onPath('aws')) missing.push('awscli');
if (spawnSync('/usr/bin/python3', ['-c', 'import boto3'], { stdio: 'ignore' }).status !== 0)
  missing.push('python3-boto3');
if (!onPath('javac')) missing.push('openjdk-17-jdk-headless');
if (!onPath('curl')) missing.push('curl');

if (missing.length === 0) process.exit(0);
const install = `apt-get install -y ${missing.join(' ')}`;
const root = process.getuid?.() === 0;
if (!root || !onPath('apt-get')) {
  console.error(
    `The tests need ${missing.join(' and ')}. Install ${missing.length > 1 ? 'them' : 'it'} first:\n  ${
      onPath('apt-get') ? `sudo apt-get update && sudo ${install}` : `your package manager's ${missing.join(' and ')}`
    }`,
  );
  process.exit(1);
}
console.error(`installing ${missing.join(' and ')} for the tests: apt-get update && ${install}`);
if (dryRun) process.exit(0);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [
  ['update', '-qq'],
  ['install', '-y', '-qq', ...missing],
]) {
  const run = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (run.status !== 0) {
    console.error(`apt-get ${args.join(' ')} failed; run it yourself: ${install}`);
    process.exit(1);
  }
}

function onPath(command) {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));
}
