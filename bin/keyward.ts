#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { ContextKey } from '../lib/config';
import { KeywardStack } from '../lib/keyward-stack';
import { stageConfig } from '../lib/stage-file';

const app = new App();
// The stage's file (config/stages/<stage>.json) under the context: a -c flag may add, never contradict.
const config = stageConfig((key: ContextKey) => app.node.tryGetContext(key));
new KeywardStack(app, `keyward-${config.stage}`, {
  config,
  ...(config.plans ? { plans: config.plans } : {}),
  description: `keyward (${config.stage}): API-key management and authorizer`,
});
// A cdk-nag finding without an acknowledgement (each with its reason) interrupts the synth, so it
// cannot reach a deployment.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
