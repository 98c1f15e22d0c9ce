import { createConfig, lintFromString } from '@redocly/openapi-core';

/**
 * Lints the OpenAPI document read from stdin with Redocly (its `recommended` rules, which include
 * the OpenAPI 3.1 structural checks) and prints the problems as JSON. A separate process because
 * @redocly/openapi-core is ESM-only, which jest's CommonJS runtime cannot load; the unit test
 * (test/unit/operations/openapi.test.ts) pipes the document in.
 */
async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const config = await createConfig({ extends: ['recommended'] });
  const problems = await lintFromString({ source: Buffer.concat(chunks).toString('utf8'), config });
  const report = problems.map((problem) => ({
    rule: problem.ruleId,
    severity: problem.severity,
    message: problem.message,
    at: problem.location.map((location) => location.pointer),
  }));
  process.stdout.write(JSON.stringify(report));
}

void main();
