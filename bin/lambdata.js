#!/usr/bin/env node
// lambdata's own output stays clean: the AWS SDK's notice about future Node versions (printed once per
// process on Node 20) is not ours to show. Functions get their own environment and are not affected.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('../dist/cli/main.js');

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`lambdata: ${err?.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
