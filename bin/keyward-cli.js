#!/usr/bin/env node
'use strict';
// The package's bin: registers tsx's CommonJS hook so the TypeScript CLI runs without a build step.
require('tsx/cjs');
const { main } = require('./cli.ts');

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
