#!/usr/bin/env node
// The package's bin: registers tsx's CommonJS hook so the TypeScript CLI runs without a build step.
require('tsx/cjs');
// Versions are pinned by package-lock.json; the SDK's notice about its future Node 22 floor is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The runtime's structured logs (e.g. "admin email sent" during a redrive) stay off stdout, which
// carries the one JSON document of --json; warnings and errors still reach stderr.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
const { main } = require('./cli.ts');

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
