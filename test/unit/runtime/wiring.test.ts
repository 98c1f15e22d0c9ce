import { APIGatewayClient, GetUsageCommand } from '@aws-sdk/client-api-gateway';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { RetirementJob } from '../../../lambdas/domain/ports';
import { type Capabilities, functionServices, restrictScheduler, restrictSecretBox } from '../../../lambdas/runtime/wiring';
import { InMemoryScheduler, plainSecretBox } from '../../support/fakes';

const CONTEXT = { organization_id: 'acme', api_key_id: '01JKEY' };
const JOB: RetirementJob = { organizationId: 'acme', apiKeyId: '01JKEY', expiresAt: '2036-11-27T04:00:00.000Z', id: 'job-1' };

describe('what a function gets, as its manifest row allows (the local stack has no IAM to do it)', () => {
  it('gives an `encrypt` function a box that encrypts and never decrypts', async () => {
    const box = restrictSecretBox(plainSecretBox, 'encrypt');
    const sealed = await box.encrypt('kw_token', CONTEXT);
    expect(await plainSecretBox.decrypt(sealed, CONTEXT)).toBe('kw_token');
    await expect(box.decrypt(sealed, CONTEXT)).rejects.toThrow('not configured to decrypt');
  });

  it('gives a `decrypt` function a box that decrypts and never encrypts', async () => {
    const box = restrictSecretBox(plainSecretBox, 'decrypt');
    expect(await box.decrypt(await plainSecretBox.encrypt('kw_token', CONTEXT), CONTEXT)).toBe('kw_token');
    await expect(box.encrypt('kw_token', CONTEXT)).rejects.toThrow('not configured to encrypt');
  });

  it('lets a `remove` function remove a job but never create one, and a `manage` function do both', async () => {
    const jobs = new InMemoryScheduler();
    await restrictScheduler(jobs, 'manage').scheduleRetirement(JOB);
    expect(jobs.pending).toEqual([JOB]);
    const remover = restrictScheduler(jobs, 'remove');
    await expect(remover.scheduleRetirement({ ...JOB, id: 'job-2' })).rejects.toThrow('may only remove lifecycle jobs');
    await remover.cancelRetirement(JOB);
    expect(jobs.pending).toEqual([]);
  });
});

describe("where a settings function reads quota_used (API.md §9): API Gateway on a stage with plans, the table's counters locally", () => {
  const PLANS = { default_plan: 'pro', plans: { pro: { rate: 10, burst: 20, quota: { limit: 1000, period: 'month' } } } };
  const saved = { ...process.env };
  const dynamo = mockClient(DynamoDBDocumentClient);
  const gateway = mockClient(APIGatewayClient);
  beforeEach(() => {
    process.env = {
      ...saved,
      TABLE_NAME: 'keyward-test',
      KEYWARD_PLANS: JSON.stringify(PLANS),
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    };
    // The organization item (its usage identifier) and, in another item, the local gateway's counter.
    dynamo
      .on(GetCommand)
      .callsFake((input: { Key: { sk: string } }) =>
        input.Key.sk === 'ORG' ? { Item: { plan: 'pro', usage_identifier: 'v', usage_identifier_id: 'k1' } } : { Item: { used: 7 } },
      );
    gateway.on(GetUsageCommand).resolves({
      items: {
        k1: [
          [40, 960],
          [2, 958],
        ],
      },
    });
  });
  afterEach(() => {
    process.env = saved;
    dynamo.reset();
    gateway.reset();
  });
  afterAll(() => {
    dynamo.restore();
    gateway.restore();
  });

  const quotaUsed = async (capabilities: Capabilities) => {
    const services = await functionServices(capabilities)();
    return (await services.settings.get('acme')).settings.quota_used;
  };

  it("reads GetUsage of the organization's usage identifier when the stack names the usage plans (USAGE_PLAN_IDS)", async () => {
    process.env.USAGE_PLAN_IDS = JSON.stringify({ pro: 'up-pro' });
    expect(await quotaUsed({ quotaUsage: true })).toBe(42);
    expect(gateway.commandCalls(GetUsageCommand)[0]!.args[0].input).toMatchObject({ usagePlanId: 'up-pro', keyId: 'k1' });
  });

  it('reads the counter the local gateway keeps without USAGE_PLAN_IDS (locally), and never API Gateway', async () => {
    expect(await quotaUsed({ quotaUsage: true })).toBe(7);
    expect(gateway.calls()).toHaveLength(0);
  });

  it('refuses a malformed USAGE_PLAN_IDS at the cold start', async () => {
    process.env.USAGE_PLAN_IDS = '{"Pro Plan":"x"}';
    await expect(quotaUsed({ quotaUsage: true })).rejects.toThrow('invalid usage plans configuration');
  });
});
