#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type ContextKey, parseConfig } from '../lib/config';
import { KeywardStack } from '../lib/keyward-stack';

const app = new App();
const config = parseConfig((key: ContextKey) => app.node.tryGetContext(key));
new KeywardStack(app, `keyward-${config.stage}`, {
  config,
  description: `keyward (${config.stage}): API-key management and authorizer`,
});
// A cdk-nag finding without an acknowledgement (each with its reason) interrupts the synth, so it
// cannot reach a deployment.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
