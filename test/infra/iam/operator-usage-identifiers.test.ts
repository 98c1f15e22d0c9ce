import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkJson from '../../../cdk.json';
import type { PlansConfig } from '../../../lambdas/domain/plans';
import { parseConfig } from '../../../lib/config';
import { KeywardStack } from '../../../lib/keyward-stack';
import type { TemplateJson } from '../../support/cloudformation';
import type { AwsCall } from '../../support/iam-deployment';
import type { PolicyDocument } from '../../support/iam-simulator';
import { refusedCalls } from './checks';
import { deploymentOf, STAGE_CONTEXT } from './stages';

const PLANS: PlansConfig = {
  default_plan: 'free',
  plans: { free: { rate: 10, burst: 20, quota: null }, pro: { rate: 100, burst: 200, quota: { limit: 1000, period: 'month' } } },
};

/**
 * The operator's API Gateway calls for organizations' usage identifiers (API.md §9: `org create`,
 * `org set-plan`, `migrate`, lambdas/adapters/api-gateway-usage-identifiers.ts), evaluated with
 * AWS's policy logic against the managed policy prod's stack makes for the operator's role.
 */
describe("the operator's usage identifier calls (prod with plans)", () => {
  const app = new App({ context: { ...cdkJson.context, ...STAGE_CONTEXT.prod, 'aws:cdk:bundling-stacks': [] } });
  const config = parseConfig((key) => app.node.tryGetContext(key));
  const stack = new KeywardStack(app, 'keyward-prod', { config, plans: PLANS });
  const template = Template.fromStack(stack).toJSON() as TemplateJson;
  const deployment = deploymentOf('keyward-prod', template);
  const resolved = deployment.template;
  const [policyId] = resolved.resourcesOf('AWS::IAM::ManagedPolicy').find(([id]) => id.startsWith('OperatorUsageIdentifiers')) as [
    string,
    unknown,
  ];
  const policy = resolved.resolve(resolved.resource(policyId).Properties!.PolicyDocument) as PolicyDocument;
  const usagePlan = (name: string) => {
    const [id] = resolved.resourcesOf('AWS::ApiGateway::UsagePlan').find(([logicalId]) => logicalId.includes(`Plan${name}`))!;
    return resolved.ref(id);
  };
  const { account, region } = deployment;
  const operator = `arn:aws:iam::${account}:role/keyward-operator`;
  const call = (action: string, path: string): AwsCall => ({
    principal: operator,
    action,
    resource: `arn:aws:apigateway:${region}::${path}`,
    identityPolicies: [{ name: 'OperatorUsageIdentifiers', policy }],
  });

  it('allows GetApiKeys, CreateApiKey, and CreateUsagePlanKey / DeleteUsagePlanKey / GetUsage on each of the stage usage plans', async () => {
    const calls = [
      call('apigateway:GET', '/apikeys'),
      call('apigateway:POST', '/apikeys'),
      ...['free', 'pro'].flatMap((plan) => [
        call('apigateway:POST', `/usageplans/${usagePlan(plan)}/keys`),
        call('apigateway:DELETE', `/usageplans/${usagePlan(plan)}/keys/k1a2b3c4d5`),
        call('apigateway:GET', `/usageplans/${usagePlan(plan)}/usage`),
      ]),
    ];
    expect(await refusedCalls(deployment, calls)).toEqual([]);
  });

  it("refuses what it must not do: another usage plan's keys, changing or deleting API keys or usage plans", async () => {
    const forbidden = [
      call('apigateway:POST', '/usageplans/someoneelse/keys'),
      call('apigateway:DELETE', '/usageplans/someoneelse/keys/k1a2b3c4d5'),
      call('apigateway:DELETE', '/apikeys/k1a2b3c4d5'),
      call('apigateway:PATCH', '/apikeys/k1a2b3c4d5'),
      call('apigateway:PATCH', `/usageplans/${usagePlan('free')}`),
      call('apigateway:DELETE', `/usageplans/${usagePlan('free')}`),
      call('apigateway:GET', '/restapis'),
      call('apigateway:GET', '/usageplans/someoneelse/usage'),
      call('apigateway:PATCH', `/usageplans/${usagePlan('free')}/keys/k1a2b3c4d5/usage`),
    ];
    const refused = await refusedCalls(deployment, forbidden);
    expect(refused).toHaveLength(forbidden.length);
  });
});
