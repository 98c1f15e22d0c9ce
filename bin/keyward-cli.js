#!/usr/bin/env node
// The package's bin: registers tsx's CommonJS hook so the TypeScript CLI runs without a build step.
require('tsx/cjs');
// The runtime's structured logs (e.g. "admin email sent" during a redrive) stay off stdout, which
// carries the one JSON document of --json; warnings and errors still reach stderr.
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
const { main } = require('./cli.ts');

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
