import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { RouteDefinition } from '../../lambdas/domain/routes';
import { ApiKeyAuthorizer, type ApiKeyAuthorizerProps } from '../../lib/constructs/api-key-authorizer';
import { DEFAULT_PLANS, plansFromContext } from '../../lib/plans';
import { stageProps } from '../../lib/stage';
import { synthKeyward } from './synth';

const ORDERS: RouteDefinition[] = [
  { method: 'GET', path: '/orders', resource: 'order', mode: 'read', tracksUsage: true },
  { method: 'POST', path: '/orders', resource: 'order', mode: 'write', tracksUsage: true },
];

const PLANS = plansFromContext(
  JSON.stringify({
    default_plan: 'free',
    plans: {
      free: { rate: 5, burst: 10, quota: { limit: 10000, period: 'month' } },
      pro: { rate: 100, burst: 200, quota: null },
      daily: { rate: 1, burst: 1, quota: { limit: 50, period: 'day' } },
    },
  }),
);

/** A platform's own RestApi protected by the construct, with or without plans (API.md §9). */
function platform(props: Partial<ApiKeyAuthorizerProps> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Platform', { env: { account: '111122223333', region: 'eu-west-1' } });
  const restApi = new apigw.RestApi(stack, 'PlatformApi', { restApiName: 'orders', cloudWatchRole: false });
  const authorizer = new ApiKeyAuthorizer(stack, 'Keys', {
    ...stageProps('prod'),
    restApi,
    table: dynamodb.Table.fromTableName(stack, 'KeywardTable', 'keyward-prod'),
    keyPrefix: 'acme',
    routes: ORDERS,
    ...props,
  });
  authorizer.addRoutes(new apigw.MockIntegration());
  return { stack, restApi, authorizer, template: Template.fromStack(stack) };
}

describe('ApiKeyAuthorizer with plans: usage plans enforced by API Gateway', () => {
  it('makes one usage plan per plan with its throttle and quota, on the API stage', () => {
    const { template, stack, restApi } = platform({ plans: PLANS });
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 3);
    const stageRef = { Ref: stack.getLogicalId(restApi.deploymentStage.node.defaultChild as apigw.CfnStage) };
    const apiRef = { Ref: stack.getLogicalId(restApi.node.defaultChild as apigw.CfnRestApi) };
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'keyward-prod-free',
      Throttle: { RateLimit: 5, BurstLimit: 10 },
      Quota: { Limit: 10000, Period: 'MONTH' },
      ApiStages: [{ ApiId: apiRef, Stage: stageRef }],
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'keyward-prod-pro',
      Throttle: { RateLimit: 100, BurstLimit: 200 },
      Quota: Match.absent(),
    });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'keyward-prod-daily',
      Quota: { Limit: 50, Period: 'DAY' },
    });
  });

  it('takes API keys from the authorizer and requires one on every method it adds', () => {
    const { template } = platform({ plans: PLANS });
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
    const methods = template.findResources('AWS::ApiGateway::Method', { Properties: { AuthorizationType: 'CUSTOM' } });
    expect(Object.keys(methods)).toHaveLength(ORDERS.length);
    for (const method of Object.values(methods)) expect(method.Properties.ApiKeyRequired).toBe(true);
  });

  it('answers 429 over a quota with quota_exceeded and over the rate with throttled', () => {
    const { template } = platform({ plans: PLANS });
    const bodyOf = (type: string) =>
      Object.values(template.findResources('AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: type } }))[0]?.Properties
        .ResponseTemplates['application/json'];
    expect(JSON.parse(bodyOf('QUOTA_EXCEEDED'))).toEqual({ status: 429, error: 'Too Many Requests', code: 'quota_exceeded' });
    expect(JSON.parse(bodyOf('THROTTLED'))).toEqual({ status: 429, error: 'Too Many Requests', code: 'throttled' });
  });

  it("puts one fallback usage identifier in the default plan's usage plan, and gives the authorizer its value", () => {
    const { template, stack, authorizer } = platform({ plans: PLANS });
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 1);
    const [keyId, key] = Object.entries(template.findResources('AWS::ApiGateway::ApiKey'))[0]!;
    const value = (key.Properties as { Value: string }).Value;
    expect(value).toMatch(/^keyward-fallback-[0-9a-f]{40}$/);
    const defaultPlan = stack.getLogicalId(authorizer.usagePlans.free!.node.defaultChild as apigw.CfnUsagePlan);
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: keyId },
      UsagePlanId: { Ref: defaultPlan },
      KeyType: 'API_KEY',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ FALLBACK_USAGE_IDENTIFIER: value }) },
    });
    // The same value at every synth of the same stack: a redeploy keeps it.
    expect(platform({ plans: PLANS }).template.toJSON().Resources[keyId].Properties.Value).toBe(value);
  });

  it('changes nothing without plans: no usage plan, no key source, no API key required', () => {
    const { template } = platform();
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
    expect(JSON.stringify(template.toJSON())).not.toContain('FALLBACK_USAGE_IDENTIFIER');
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: Match.absent() });
    const methods = template.findResources('AWS::ApiGateway::Method', { Properties: { AuthorizationType: 'CUSTOM' } });
    for (const method of Object.values(methods)) expect(method.Properties.ApiKeyRequired).toBeUndefined();
  });

  it('refuses plans that break the schema at synth time', () => {
    expect(() => plansFromContext({ default_plan: 'gold', plans: { free: { rate: 1, burst: 1 } } })).toThrow(
      /default_plan: must name one of the plans/,
    );
    expect(() => plansFromContext({ default_plan: 'Free', plans: { Free: { rate: 1, burst: 1 } } })).toThrow(/a-z0-9-/);
    expect(() => plansFromContext({ default_plan: 'free', plans: { free: { rate: 0, burst: 1 } } })).toThrow(/rate/);
    expect(plansFromContext(undefined)).toEqual(DEFAULT_PLANS);
  });
});

describe("keyward's own stack with the stage file's plans (API.md §9)", () => {
  it('puts usage plans on the example API, gives the CLI the plans and usage plan ids, and a policy with exactly its API Gateway calls', () => {
    const { template } = synthKeyward({ stage: 'prod', keyPrefix: 'acme', exampleApi: 'true' }, PLANS);
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 3);
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.parse(outputs.Plans!.Value as string)).toEqual(PLANS);
    expect(JSON.stringify(outputs.UsagePlanIds!.Value)).toMatch(/free.*Ref.*Planfree.*pro.*Ref.*Planpro.*daily.*Ref.*Plandaily/);
    expect(outputs.OperatorUsageIdentifiersPolicyArn).toBeDefined();
    const [policy] = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((resource) =>
      JSON.stringify(resource).includes('apigateway:'),
    );
    const statements = (policy!.Properties as { PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } })
      .PolicyDocument.Statement;
    expect(statements.map((statement) => statement.Action)).toEqual([
      ['apigateway:GET', 'apigateway:POST'],
      'apigateway:POST',
      'apigateway:DELETE',
      'apigateway:GET',
    ]);
    expect(JSON.stringify(statements[0]!.Resource)).toContain('::/apikeys');
    expect(JSON.stringify(statements[1]!.Resource)).toContain('/keys');
    expect(JSON.stringify(statements[2]!.Resource)).toContain('/keys/*');
    expect(JSON.stringify(statements[3]!.Resource)).toContain('/usage');
    // The management functions read the same plans (GET …/settings answers the plan and limits).
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ KEYWARD_PLANS: JSON.stringify(PLANS) }) },
    });
  });

  it("gives the settings functions, and only them, the usage plan ids and GetUsage on the usage plans' usage (quota_used)", () => {
    const { template, stack } = synthKeyward({ stage: 'prod', keyPrefix: 'acme', exampleApi: 'true' }, PLANS);
    const functions = template.findResources('AWS::Lambda::Function');
    const withIds = Object.values(functions)
      .filter((fn) => JSON.stringify(fn).includes('USAGE_PLAN_IDS'))
      .map((fn) => (fn.Properties as { FunctionName: string }).FunctionName);
    expect(withIds.sort()).toEqual(['keyward-prod-get-organization-settings', 'keyward-prod-update-organization-settings']);
    const usage = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, policy]) =>
      JSON.stringify(policy).includes('apigateway:'),
    );
    expect(usage).toHaveLength(2);
    for (const [, policy] of usage) {
      const statements = (policy.Properties as { PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } })
        .PolicyDocument.Statement;
      const gateway = statements.filter((statement) => JSON.stringify(statement.Action).includes('apigateway:'));
      expect(gateway).toHaveLength(1);
      expect(gateway[0]!.Action).toBe('apigateway:GET');
      const resources = JSON.stringify(stack.resolve(gateway[0]!.Resource));
      expect(resources.match(/\/usage"/g)).toHaveLength(3);
      expect(resources).toMatch(/usageplans\/.*Planfree/);
    }
  });

  it('leaves plans off without them: no usage plan, no plan outputs, no operator policy', () => {
    const { template } = synthKeyward({ stage: 'prod', keyPrefix: 'acme', exampleApi: 'true' });
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 0);
    const outputs = template.toJSON().Outputs as Record<string, unknown>;
    expect(Object.keys(outputs).filter((name) => /Plan|UsageIdentifiers/.test(name))).toEqual([]);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/USAGE_PLAN_IDS|apigateway:GET/);
  });
});
