#!/usr/bin/env node
// The package's bin: registers tsx's CommonJS hook so the TypeScript CLI runs without a build step.
require('tsx/cjs');
// Versions are pinned by package-lock.json; the SDK's notice about its future Node 22 floor is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = require('./cli.ts');

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
