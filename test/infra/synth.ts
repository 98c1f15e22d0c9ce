import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { PlansConfig } from '../../lambdas/domain/plans';
import { OPERATION_LIST } from '../../lambdas/operations/manifest';
import { type ContextKey, parseConfig } from '../../lib/config';
import { KeywardStack } from '../../lib/keyward-stack';

/**
 * Builds the stack from a context, as `bin/keyward.ts` does. Bundling is skipped (the empty
 * `aws:cdk:bundling-stacks` list): these tests are about the template, and `npx cdk synth`
 * exercises the real esbuild bundling of every function. The example API is deployed unless the
 * context says otherwise (whatever the stage, unlike `parseConfig`): most tests examine its
 * authorizer on a prod stage too.
 */
export function synthKeyward(
  context: Partial<Record<ContextKey, string>> = {},
  plans?: PlansConfig,
): { app: App; stack: KeywardStack; template: Template } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const withExample: Partial<Record<ContextKey, string>> = { exampleApi: 'true', ...context };
  const config = parseConfig((key) => withExample[key]);
  const stack = new KeywardStack(app, `keyward-${config.stage}`, { config, ...(plans ? { plans } : {}) });
  return { app, stack, template: Template.fromStack(stack) };
}

/** A prod stage with everything configured: a sender, an external issuer, a prefix, a catalog and both caches. */
export const PROD_CONTEXT: Partial<Record<ContextKey, string>> = {
  stage: 'prod',
  sesSender: 'keys@example.com',
  adminIssuer: 'https://login.example.com/',
  adminAudience: 'keyward-console',
  keyPrefix: 'acme',
  resourceCatalog: 'customer,invoice',
  authorizerCacheTtlSeconds: '300',
  authorizerKeyCacheMs: '1000',
};

/** The entry (`lambdas/<entry>.ts`) of every function of the stack. */
export const KEYWARD_ENTRIES = [
  'api-key-authorizer',
  'admin-authorizer',
  'example-echo',
  ...OPERATION_LIST.map((operation) => operation.entry),
  'retire-api-key',
  'remind-api-key-expiry',
  'notify-admins',
  'publish-events',
  'aggregate-usage',
  'roll-up-usage',
];

/** The name of the function of `entry` on `stage`. */
export const fnName = (entry: string, stage = 'dev') => `keyward-${stage}-${entry}`;
