import { APIGatewayClient, GetUsageCommand, NotFoundException } from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { ApiGatewayQuotaUsage } from '../../../lambdas/adapters/api-gateway-quota-usage';
import type { PlansConfig } from '../../../lambdas/domain/plans';
import type { KeyStore, QuotaUsage, UsageIdentifier } from '../../../lambdas/domain/ports';
import { logger } from '../../../lambdas/observability/logger';
import { SettingsService } from '../../../lambdas/service/settings-service';

const IDENTIFIER: UsageIdentifier = { id: 'k1a2b3', value: 'never-shown' };
const USAGE_PLAN_IDS = { free: 'up-free', pro: 'up-pro' };
const identifierOf = async (organizationId: string) => (organizationId === 'acme' ? IDENTIFIER : undefined);

describe('quota_used from API Gateway (GetUsage on the usage plan of the organization, API.md §9)', () => {
  const gateway = mockClient(APIGatewayClient);
  const usage = new ApiGatewayQuotaUsage(new APIGatewayClient({ region: 'us-east-1' }), USAGE_PLAN_IDS, identifierOf);
  afterEach(() => gateway.reset());
  afterAll(() => gateway.restore());

  it("asks for the identifier's usage in its plan's usage plan, from the window's first UTC day to today, and sums the days", async () => {
    gateway.on(GetUsageCommand).resolves({
      startDate: '2026-12-01',
      endDate: '2026-12-07',
      items: {
        [IDENTIFIER.id]: [
          [10, 990],
          [0, 990],
          [32, 958],
        ],
      },
    });
    const used = await usage.used('acme', 'pro', new Date('2026-12-01T00:00:00Z'), new Date('2026-12-07T23:59:59.999Z'));
    expect(used).toBe(42);
    expect(gateway.commandCalls(GetUsageCommand).map((call) => call.args[0].input)).toEqual([
      { usagePlanId: 'up-pro', keyId: IDENTIFIER.id, startDate: '2026-12-01', endDate: '2026-12-07', position: undefined },
    ]);
  });

  it('follows the pages, and counts only the identifier asked for', async () => {
    gateway
      .on(GetUsageCommand, { position: undefined })
      .resolves({ items: { [IDENTIFIER.id]: [[5, 0]], other: [[1000, 0]] }, position: 'p2' })
      .on(GetUsageCommand, { position: 'p2' })
      .resolves({ items: { [IDENTIFIER.id]: [[7, 0]] } });
    expect(await usage.used('acme', 'free', new Date('2026-12-07T00:00:00Z'), new Date('2026-12-07T12:00:00Z'))).toBe(12);
    expect(gateway.commandCalls(GetUsageCommand)).toHaveLength(2);
  });

  it('says 0 when API Gateway has counted nothing yet (no items, or none for the key)', async () => {
    gateway.on(GetUsageCommand).resolvesOnce({}).resolvesOnce({ items: {} });
    const window = [new Date('2026-12-07T00:00:00Z'), new Date('2026-12-07T01:00:00Z')] as const;
    expect(await usage.used('acme', 'pro', ...window)).toBe(0);
    expect(await usage.used('acme', 'pro', ...window)).toBe(0);
  });

  it('says null, without asking API Gateway, for an organization with no identifier of its own (before keyward migrate)', async () => {
    expect(await usage.used('not-migrated', 'pro', new Date('2026-12-01T00:00:00Z'), new Date('2026-12-07T00:00:00Z'))).toBeNull();
    expect(gateway.calls()).toHaveLength(0);
  });

  it("throws API Gateway's error, and names a plan the stack gave no usage plan", async () => {
    gateway.on(GetUsageCommand).rejects(new NotFoundException({ message: 'Invalid Usage Plan ID specified', $metadata: {} }));
    await expect(usage.used('acme', 'pro', new Date(), new Date())).rejects.toThrow('Invalid Usage Plan ID');
    await expect(usage.used('acme', 'gone', new Date(), new Date())).rejects.toThrow('no usage plan for the plan "gone"');
  });
});

describe("the settings' quota_used, whatever its source answers", () => {
  const PLANS: PlansConfig = {
    default_plan: 'free',
    plans: { free: { rate: 10, burst: 20, quota: null }, pro: { rate: 100, burst: 200, quota: { limit: 1000, period: 'week' } } },
  };
  const NOW = new Date('2026-12-09T15:00:00Z'); // a Wednesday: the ISO week began on Monday the 7th
  const store = (plan: string | null) =>
    ({
      getPlan: async () => plan,
      getSettings: async () => ({ maxKeyLifetimeDays: null, expiryReminderDays: [], version: 0 }),
      quotaUsed: async () => 3,
    }) as unknown as KeyStore;
  const settings = (plan: string | null, quotaUsage?: QuotaUsage) =>
    new SettingsService(store(plan), { now: () => NOW }, () => 'event-id', PLANS, undefined, quotaUsage);
  let warnings: unknown[][];
  beforeEach(() => {
    warnings = [];
    jest.spyOn(logger, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args));
  });
  afterEach(() => jest.restoreAllMocks());

  it("asks the source for the plan's current window (ISO week from Monday, UTC) up to now", async () => {
    const used = jest.fn(async () => 42);
    expect((await settings('pro', { used }).get('acme')).settings).toMatchObject({ plan: 'pro', quota_used: 42 });
    expect(used).toHaveBeenCalledWith('acme', 'pro', new Date('2026-12-07T00:00:00Z'), NOW);
  });

  it('reads the local counters by default (the local gateway counts there)', async () => {
    expect((await settings('pro').get('acme')).settings.quota_used).toBe(3);
  });

  it('still answers when the source fails: quota_used null and a warning in the log, never a 5xx', async () => {
    const failing: QuotaUsage = { used: async () => Promise.reject(new Error('TooManyRequestsException')) };
    const view = await settings('pro', failing).get('acme');
    expect(view.settings).toMatchObject({ plan: 'pro', limits: { quota: { limit: 1000, period: 'week' } }, quota_used: null });
    expect(warnings).toEqual([
      ['quota usage could not be read: quota_used is null', expect.objectContaining({ organization_id: 'acme', plan: 'pro' })],
    ]);
  });

  it('says null with a warning when the source cannot tell (no usage identifier of its own), and asks nothing without a quota', async () => {
    expect((await settings('pro', { used: async () => null }).get('acme')).settings.quota_used).toBeNull();
    expect(warnings).toHaveLength(1);
    const used = jest.fn(async () => 1);
    expect((await settings(null, { used }).get('acme')).settings).toMatchObject({ plan: 'free', quota_used: null });
    expect(used).not.toHaveBeenCalled();
  });
});
