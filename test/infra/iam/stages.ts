import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkJson from '../../../cdk.json';
import type { PlansConfig } from '../../../lambdas/domain/plans';
import { type ContextKey, parseConfig } from '../../../lib/config';
import { KeywardStack } from '../../../lib/keyward-stack';
import { FAKE_ENVIRONMENT, ResolvedTemplate, type TemplateJson } from '../../support/cloudformation';
import { Deployment } from '../../support/iam-deployment';

/**
 * What `npx cdk synth` is given per stage: cdk.json's context (dev's settings and the feature
 * flags, which shape the policies, e.g. `minimizePolicies`) with the stage's `-c` flags on top.
 * Prod's are the ones README's deploy recipe passes; its operator is a role of the fake account.
 */
export const STAGE_CONTEXT = {
  dev: {},
  prod: {
    stage: 'prod',
    keyPrefix: 'acme',
    sesSender: 'example.com',
    operatorPrincipalArn: `arn:aws:iam::${FAKE_ENVIRONMENT.account}:role/keyward-operator`,
    // Off by default outside dev stages; on here so the api-key authorizer's grants (the same in a
    // platform's own stack, `ApiKeyAuthorizer`) are evaluated with prod's settings too.
    exampleApi: 'true',
  },
} as const satisfies Record<string, Partial<Record<ContextKey, string>>>;

export type StageName = keyof typeof STAGE_CONTEXT;

/** The stage's template as `cdk synth` builds it (bundling skipped: the template is what IAM sees). */
export function synthStageTemplate(stage: StageName, plans?: PlansConfig): { stackName: string; template: TemplateJson } {
  const app = new App({ context: { ...cdkJson.context, ...STAGE_CONTEXT[stage], 'aws:cdk:bundling-stacks': [] } });
  const config = parseConfig((key) => app.node.tryGetContext(key));
  const stackName = `keyward-${config.stage}`;
  const stack = new KeywardStack(app, stackName, { config, ...(plans ? { plans } : {}) });
  return { stackName, template: Template.fromStack(stack).toJSON() as TemplateJson };
}

/** A template as IAM sees it in the fake account and region. */
export function deploymentOf(stackName: string, template: TemplateJson): Deployment {
  return new Deployment(new ResolvedTemplate(template, stackName));
}
