import { APIGatewayClient, GetUsageCommand, type GetUsageCommandInput } from '@aws-sdk/client-api-gateway';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import cdkJson from '../../../cdk.json';
import { ApiGatewayQuotaUsage } from '../../../lambdas/adapters/api-gateway-quota-usage';
import type { PlansConfig } from '../../../lambdas/domain/plans';
import { usagePlanIdsConfig } from '../../../lambdas/runtime/config';
import { parseConfig } from '../../../lib/config';
import { KeywardStack } from '../../../lib/keyward-stack';
import type { TemplateJson } from '../../support/cloudformation';
import type { AwsCall, DeployedFunction } from '../../support/iam-deployment';
import { allowedCalls, keywardFunctions, refusedCalls } from './checks';
import { deploymentOf, STAGE_CONTEXT } from './stages';

const PLANS: PlansConfig = {
  default_plan: 'free',
  plans: {
    free: { rate: 10, burst: 20, quota: { limit: 100, period: 'day' } },
    pro: { rate: 100, burst: 200, quota: { limit: 1000, period: 'month' } },
  },
};
const SETTINGS_FUNCTIONS = ['get-organization-settings', 'update-organization-settings'];

/**
 * `quota_used` in AWS (API.md §9): the settings functions read GetUsage of the stage's usage plans,
 * and nothing else of API Gateway; no other function may. The calls are those the real adapter
 * sends (lambdas/adapters/api-gateway-quota-usage.ts) with each function's own `USAGE_PLAN_IDS`,
 * evaluated with AWS's policy logic against prod's template with plans.
 */
describe("the settings functions' GetUsage (prod with plans)", () => {
  const app = new App({ context: { ...cdkJson.context, ...STAGE_CONTEXT.prod, 'aws:cdk:bundling-stacks': [] } });
  const config = parseConfig((key) => app.node.tryGetContext(key));
  const stack = new KeywardStack(app, 'keyward-prod', { config, plans: PLANS });
  const deployment = deploymentOf('keyward-prod', Template.fromStack(stack).toJSON() as TemplateJson);
  const functions = keywardFunctions(deployment);
  const entryOf = (fn: DeployedFunction) => fn.name.slice('keyward-prod-'.length);
  const settings = functions.filter((fn) => SETTINGS_FUNCTIONS.includes(entryOf(fn)));
  const gateway = mockClient(APIGatewayClient);
  afterAll(() => gateway.restore());

  /** What the adapter sends for `fn`, with its environment's usage plan ids, as the IAM request AWS authorizes. */
  async function getUsageCalls(fn: DeployedFunction): Promise<AwsCall[]> {
    gateway.reset();
    gateway.on(GetUsageCommand).resolves({ items: {} });
    const ids = usagePlanIdsConfig(fn.environment as NodeJS.ProcessEnv);
    if (!ids) throw new Error(`${fn.name} has no USAGE_PLAN_IDS`);
    const usage = new ApiGatewayQuotaUsage(new APIGatewayClient({ region: deployment.region }), ids, async () => ({
      id: 'k1',
      value: 'v',
    }));
    for (const plan of Object.keys(PLANS.plans)) await usage.used('acme', plan, new Date(), new Date());
    return gateway.commandCalls(GetUsageCommand).map((call) => {
      const input = call.args[0].input as GetUsageCommandInput;
      return {
        principal: fn.session,
        action: 'apigateway:GET',
        resource: `arn:aws:apigateway:${deployment.region}::/usageplans/${input.usagePlanId}/usage`,
      };
    });
  }

  it('allows each settings function the GetUsage calls its code makes, on every usage plan of the stage', async () => {
    expect(settings).toHaveLength(2);
    for (const fn of settings) {
      const calls = await getUsageCalls(fn);
      expect(calls).toHaveLength(2);
      expect(await refusedCalls(deployment, calls)).toEqual([]);
    }
  });

  it('refuses them to every other function, and refuses the settings functions anything else of API Gateway', async () => {
    const [usage] = await getUsageCalls(settings[0]!);
    const others = functions.filter((fn) => !settings.includes(fn));
    expect(others.length).toBeGreaterThan(15);
    const cases = [
      ...others.map((fn) => ({ why: `${fn.name} reads usage`, call: { ...usage!, principal: fn.session } })),
      ...settings.flatMap((fn) => {
        const own = { ...usage!, principal: fn.session };
        return [
          { why: 'another usage plan', call: { ...own, resource: own.resource.replace(/usageplans\/[^/]+/, 'usageplans/someoneelse') } },
          { why: 'the usage plan itself', call: { ...own, resource: own.resource.replace(/\/usage$/, '') } },
          { why: 'its keys', call: { ...own, resource: own.resource.replace(/\/usage$/, '/keys') } },
          { why: 'API keys (their values)', call: { ...own, resource: `arn:aws:apigateway:${deployment.region}::/apikeys` } },
          { why: 'a usage extension', call: { ...own, action: 'apigateway:PATCH', resource: `${own.resource}/keys/k1` } },
          { why: 'a usage plan change', call: { ...own, action: 'apigateway:PATCH', resource: own.resource.replace(/\/usage$/, '') } },
        ];
      }),
    ];
    expect(await allowedCalls(deployment, cases)).toEqual([]);
  });
});
