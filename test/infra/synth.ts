import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type ContextKey, parseConfig } from '../../lib/config';
import { KeywardStack } from '../../lib/keyward-stack';

/**
 * Builds the stack from a context, as `bin/keyward.ts` does. Bundling is skipped (the empty
 * `aws:cdk:bundling-stacks` list): these tests are about the template, and `npx cdk synth`
 * exercises the real esbuild bundling of every function.
 */
export function synthKeyward(context: Partial<Record<ContextKey, string>> = {}): { app: App; stack: KeywardStack; template: Template } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const config = parseConfig((key) => context[key]);
  const stack = new KeywardStack(app, `keyward-${config.stage}`, { config });
  return { app, stack, template: Template.fromStack(stack) };
}
