import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { ApiGatewayUsageIdentifiers } from '../../../lambdas/adapters/api-gateway-usage-identifiers';
import type { PlansConfig } from '../../../lambdas/domain/plans';
import { hashToken } from '../../../lambdas/domain/token';
import { createOperator, type Operator } from '../../../lambdas/runtime/operator';
import { fakeApiGateway } from '../../support/api-gateway-fake';
import { createTestTable } from '../../support/dynamodb';
import { plainSecretBox } from '../../support/fakes';

const PLANS: PlansConfig = {
  default_plan: 'free',
  plans: { free: { rate: 10, burst: 20, quota: null }, pro: { rate: 100, burst: 200, quota: { limit: 1000, period: 'month' } } },
};
const USAGE_PLAN_IDS = { free: 'up-free', pro: 'up-pro' };
const ACTOR = { type: 'operator', principal: 'arn:aws:iam::111122223333:role/keyward-operator' } as const;

describe('usage identifiers in AWS (API.md §9, issue 18 item 1)', () => {
  let table: Awaited<ReturnType<typeof createTestTable>>;
  let gateway: ReturnType<typeof fakeApiGateway>;
  let withPlans: Operator;
  let withoutPlans: Operator;

  beforeAll(async () => {
    table = await createTestTable();
  });
  beforeEach(() => {
    gateway = fakeApiGateway();
    const base = { tableName: table.tableName, dynamodb: table.clientConfig, secrets: plainSecretBox, plans: PLANS };
    withPlans = createOperator({
      ...base,
      usageIdentifiers: new ApiGatewayUsageIdentifiers(new APIGatewayClient({ region: 'us-east-1' }), USAGE_PLAN_IDS, 'keyward-test-'),
    });
    withoutPlans = createOperator(base);
  });
  afterEach(() => {
    gateway.mock.restore();
    withPlans.close();
    withoutPlans.close();
  });
  afterAll(async () => {
    await table.drop();
  });

  const hotIdentifier = async (operator: Operator, value: string) => (await operator.store.findByHash(hashToken(value)))?.usageIdentifier;

  it('creating an organization makes its identifier in the default plan, on the organization and its first key, and new keys carry it', async () => {
    const { organization, api_key } = await withPlans.organizations.create({ name: 'Acme', id: 'acme-create', admins: ['a@acme.test'] });
    const identifier = await withPlans.store.getUsageIdentifier(organization.id);
    expect(identifier).toEqual({ id: 'key-1', value: expect.stringMatching(/^[A-Za-z0-9_-]{40}$/) });
    expect([...gateway.keys.values()]).toEqual([{ id: 'key-1', name: 'keyward-test-acme-create', value: identifier!.value }]);
    expect([...gateway.members]).toEqual(['up-free/key-1']);
    expect(await hotIdentifier(withPlans, api_key.value)).toBe(identifier!.value);
    const second = await withPlans.keys.create(organization.id, ACTOR, { name: 'ci' });
    expect(await hotIdentifier(withPlans, second.value)).toBe(identifier!.value);
    // The key item and the answers never hold it.
    expect(JSON.stringify(second)).not.toContain(identifier!.value);
  });

  it('org set-plan moves the identifier between usage plans, and back', async () => {
    const { organization } = await withPlans.organizations.create({ name: 'Acme', id: 'acme-move', admins: ['a@acme.test'] });
    await withPlans.settings.setPlan(organization.id, ACTOR, 'pro');
    expect([...gateway.members]).toEqual(['up-pro/key-1']);
    await withPlans.settings.setPlan(organization.id, ACTOR, 'free');
    expect([...gateway.members]).toEqual(['up-free/key-1']);
  });

  it('org set-plan takes the identifier out of every other usage plan, whichever an interrupted move left it in', async () => {
    const { organization } = await withPlans.organizations.create({ name: 'Acme', id: 'acme-stray', admins: ['a@acme.test'] });
    const identifier = (await withPlans.store.getUsageIdentifier(organization.id))!;
    gateway.members.add(`up-pro/${identifier.id}`); // in free (the table's plan) and pro
    await withPlans.settings.setPlan(organization.id, ACTOR, 'free'); // the same plan: nothing written, the identifier follows
    expect([...gateway.members]).toEqual([`up-free/${identifier.id}`]);
  });

  it('moves the identifier where API Gateway refuses a key two usage plans of one stage', async () => {
    gateway.mock.restore();
    gateway = fakeApiGateway({ oneUsagePlanPerKey: true });
    const { organization } = await withPlans.organizations.create({ name: 'Acme', id: 'acme-strict', admins: ['a@acme.test'] });
    const identifier = (await withPlans.store.getUsageIdentifier(organization.id))!;
    await withPlans.settings.setPlan(organization.id, ACTOR, 'pro');
    expect([...gateway.members]).toEqual([`up-pro/${identifier.id}`]);
    expect(await withPlans.store.getPlan(organization.id)).toBe('pro');
  });

  it('migrate backfills organizations made without one, puts it on every hot item, and is idempotent', async () => {
    const { organization, api_key } = await withoutPlans.organizations.create({ name: 'Old', id: 'old-org', admins: ['a@old.test'] });
    await withoutPlans.settings.setPlan(organization.id, ACTOR, 'pro');
    const other = await withoutPlans.keys.create(organization.id, ACTOR, {});
    expect(await hotIdentifier(withoutPlans, api_key.value)).toBeUndefined();

    const first = await withPlans.migrate();
    expect(first.usage_identifiers).toMatchObject({ created: 1 });
    const identifier = await withPlans.store.getUsageIdentifier(organization.id);
    expect(await hotIdentifier(withPlans, api_key.value)).toBe(identifier!.value);
    expect(await hotIdentifier(withPlans, other.value)).toBe(identifier!.value);
    // In the usage plan of the plan it is on.
    expect([...gateway.members]).toEqual([`up-pro/${identifier!.id}`]);

    const again = await withPlans.migrate();
    expect(again.usage_identifiers).toMatchObject({ created: 0 });
    expect(gateway.keys.size).toBe(1);
  });

  it('reuses the API key an interrupted run created instead of making a second', async () => {
    const identifiers = new ApiGatewayUsageIdentifiers(new APIGatewayClient({ region: 'us-east-1' }), USAGE_PLAN_IDS, 'keyward-test-');
    const made = await identifiers.create('half-done', 'free');
    expect(await identifiers.create('half-done', 'free')).toEqual(made);
    expect(gateway.keys.size).toBe(1);
  });

  it('without usage identifiers (locally) nothing is made and migrate says nothing about them', async () => {
    await withoutPlans.organizations.create({ name: 'Local', id: 'local-org', admins: ['a@local.test'] });
    expect(await withoutPlans.store.getUsageIdentifier('local-org')).toBeUndefined();
    expect((await withoutPlans.migrate()).usage_identifiers).toBeUndefined();
    expect(gateway.mock.calls()).toHaveLength(0);
  });
});
