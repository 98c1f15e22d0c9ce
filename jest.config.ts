/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

// ts-jest transpiles only (the type check is `npm run typecheck`), to CommonJS; the few
// ESM-only dependencies (middy, jose, github-slugger) are transpiled too.
const transform: Config['transform'] = {
  '^.+\\.[tj]s$': [
    'ts-jest',
    {
      tsconfig: { module: 'commonjs', moduleResolution: 'node10', allowJs: true, isolatedModules: true, verbatimModuleSyntax: false },
      diagnostics: false,
    },
  ],
};
const transformIgnorePatterns = ['/node_modules/(?!(@middy|jose|github-slugger)/)'];

const project = (name: string, extra: Partial<Config> = {}): Config => ({
  displayName: name,
  testEnvironment: 'node',
  roots: [`<rootDir>/test/${name}`],
  testMatch: ['**/*.test.ts'],
  transform,
  transformIgnorePatterns,
  ...extra,
});

const config: Config = {
  // DynamoDB Local, the local stack and CDK synthesis are real and slower than pure units.
  testTimeout: 60_000,
  projects: [
    project('unit'),
    project('integration', {
      globalSetup: '<rootDir>/test/support/dynamodb-local-setup.ts',
      globalTeardown: '<rootDir>/test/support/dynamodb-local-teardown.ts',
    }),
    project('e2e', {
      globalSetup: '<rootDir>/test/support/local-stack-setup.ts',
      globalTeardown: '<rootDir>/test/support/local-stack-teardown.ts',
    }),
    project('infra'),
  ],
};

export default config;
