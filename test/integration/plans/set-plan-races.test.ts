import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { ApiGatewayUsageIdentifiers } from '../../../lambdas/adapters/api-gateway-usage-identifiers';
import type { PlansConfig } from '../../../lambdas/domain/plans';
import { createOperator, type Operator } from '../../../lambdas/runtime/operator';
import { fakeApiGateway } from '../../support/api-gateway-fake';
import { createTestTable } from '../../support/dynamodb';
import { plainSecretBox } from '../../support/fakes';

/**
 * Two operators running `keyward org set-plan` on one organization at once (API.md §9), on
 * DynamoDB Local with API Gateway's usage plan keys faked (each call a few ms, so the moves
 * interleave). Whatever the order, the organization item, its audit trail and the usage plan its
 * identifier is in must agree at the end. Before the write was conditioned on the plan read, the
 * identifier ended in two usage plans, or in the other plan than the item said.
 */
const TRIALS = 20;
jest.setTimeout(300_000);

const PLANS: PlansConfig = {
  default_plan: 'free',
  plans: {
    free: { rate: 10, burst: 20, quota: null },
    pro: { rate: 100, burst: 200, quota: null },
    team: { rate: 500, burst: 1000, quota: null },
  },
};
const USAGE_PLAN_IDS = { free: 'up-free', pro: 'up-pro', team: 'up-team' };
const PLAN_OF_USAGE_PLAN = Object.fromEntries(Object.entries(USAGE_PLAN_IDS).map(([plan, id]) => [id, plan]));
const ACTOR = { type: 'operator', principal: 'arn:aws:iam::111122223333:role/keyward-operator' } as const;

describe('concurrent org set-plan (issue 18)', () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let gateway: ReturnType<typeof fakeApiGateway>;
  let first: Operator;
  let second: Operator;

  beforeAll(async () => {
    table = await createTestTable();
    gateway = fakeApiGateway({ latencyMs: 15 });
    const operator = () =>
      createOperator({
        tableName: table.tableName,
        dynamodb: table.clientConfig,
        secrets: plainSecretBox,
        plans: PLANS,
        usageIdentifiers: new ApiGatewayUsageIdentifiers(new APIGatewayClient({ region: 'us-east-1' }), USAGE_PLAN_IDS, 'keyward-race-'),
      });
    first = operator();
    second = operator();
  });
  afterAll(async () => {
    gateway.mock.restore();
    first.close();
    second.close();
    await table.drop();
  });

  it('leaves the identifier in exactly the usage plan of the plan the organization item says, with a chained audit trail', async () => {
    const wrong: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const { organization } = await first.organizations.create({ name: 'Race', id: `race-${trial}`, admins: ['a@race.test'] });
      const identifier = (await first.store.getUsageIdentifier(organization.id))!;
      const outcomes = await Promise.allSettled([
        first.settings.setPlan(organization.id, ACTOR, 'pro'),
        second.settings.setPlan(organization.id, ACTOR, 'team'),
      ]);
      const failed = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => String(outcome.reason));
      const stored = await first.store.getPlan(organization.id);
      const usagePlans = [...gateway.members]
        .filter((member) => member.endsWith(`/${identifier.id}`))
        .map((member) => PLAN_OF_USAGE_PLAN[member.split('/')[0]!]);
      const events = (await first.store.listAuditEvents(organization.id, { limit: 10 })).items
        .filter((event) => event.type === 'organization.plan_changed')
        .reverse()
        .map((event) => `${event.details.previous_plan}→${event.details.plan}`);
      // Each change replaced what the previous one wrote: free→A, then A→B.
      const chained = events.every((change, index) => change.split('→')[0] === (index === 0 ? 'free' : events[index - 1]!.split('→')[1]));
      if (failed.length > 0 || usagePlans.length !== 1 || usagePlans[0] !== stored || !chained || events.at(-1)?.split('→')[1] !== stored) {
        wrong.push(
          `trial ${trial}: item ${stored}, usage plans [${usagePlans.join(', ')}], events [${events.join(', ')}]${failed.length ? `, failed: ${failed.join('; ')}` : ''}`,
        );
      }
    }
    expect(wrong).toEqual([]);
  });
});
