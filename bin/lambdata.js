#!/usr/bin/env node
import { setFlagsFromString } from 'node:v8';

// lambdata's own output stays clean: the AWS SDK's notice about future Node versions (printed once per
// process on Node 20) is not ours to show. Functions get their own environment and are not affected.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Client commands that stream bodies (s3 cp, uploads) talk to the server through Node's fetch, whose HTTP
// parser is WebAssembly (the others use node:http). V8 optimizes that module on background threads and the
// process waits for them before it exits: 0.2-0.45 s after the command is done (measured on Node 20). The
// baseline compiler alone parses a client's few responses just as well. `serve` keeps the optimizing compiler.
const args = process.argv.slice(2);
const command = args.find((arg, i) => !arg.startsWith('--') && !/^--(endpoint|token)$/.test(args[i - 1] ?? ''));
if (command !== 'serve') setFlagsFromString('--liftoff-only');

const { main } = await import('../dist/cli/main.js');

main(args).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`lambdata: ${err?.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
