import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Entry, OPERATION_LIST, type Operation } from '../../../lambdas/operations/manifest';
import { documentClient } from '../../../lambdas/runtime/clients';
import { LOCAL_AWS } from '../../../local/dynamodb-local';
import { HandlerHarness, type Response, type SeededOrganization } from './harness';

/**
 * The manifest's grants and what the handlers really use cannot drift apart (issue 8 item 1). The
 * harness runs every handler with only what its row grants (an IAM-like guard on its DynamoDB
 * client, per command and per transaction item, and on the secret box and scheduler): a handler
 * that needs more answers 500 here. These scenarios then take every operation through the paths
 * that use each grant, and the test proves that each grant was used: none is wider than needed.
 * A new row without scenarios fails the type check (`Record<Entry, …>`).
 */

let harness: HandlerHarness;
let org: SeededOrganization;

beforeAll(async () => {
  harness = await HandlerHarness.start();
  org = await harness.seedOrganization('grants');
});
afterAll(() => harness.stop());

function ok<T>(status: number, response: Response<T>): Response<T> {
  expect([response.statusCode, response.body]).toEqual([status, expect.anything()]);
  return response;
}

/** Keys made on the way, so the scenarios that follow have something to act on. */
const made: { key?: string; rotating?: string; expiring?: string } = {};

/** Each operation's success paths and the refusals that need a grant of their own. */
const SCENARIOS: Record<Entry, readonly (() => Promise<unknown>)[]> = {
  'list-api-keys': [async () => ok(200, await harness.call('list-api-keys', { organizationId: org.id }))],
  'create-api-key': [
    async () => {
      const created = ok(
        201,
        await harness.call<{ api_key: { id: string } }>('create-api-key', { organizationId: org.id, body: { name: 'a' } }),
      );
      made.key = created.body.api_key.id;
    },
    async () => {
      const rotating = ok(201, await harness.call<{ api_key: { id: string } }>('create-api-key', { organizationId: org.id, body: {} }));
      made.rotating = rotating.body.api_key.id;
    },
    // An expiring key: its retirement and reminder jobs.
    async () => {
      const expiring = ok(
        201,
        await harness.call<{ api_key: { id: string } }>('create-api-key', { organizationId: org.id, body: { expires_in: '30d' } }),
      );
      made.expiring = expiring.body.api_key.id;
    },
    // A refused create reads the organization to tell the key limit from an unknown organization.
    async () => {
      const raw = documentClient({ ...LOCAL_AWS, endpoint: process.env.DYNAMODB_ENDPOINT });
      const setKeyCount = async (count: number): Promise<number> => {
        const { Attributes } = await raw.send(
          new UpdateCommand({
            TableName: harness.tableName,
            Key: { pk: `ORG#${org.id}`, sk: 'ORG' },
            UpdateExpression: 'SET key_count = :count',
            ExpressionAttributeValues: { ':count': count },
            ReturnValues: 'UPDATED_OLD',
          }),
        );
        return Number(Attributes?.key_count);
      };
      const previous = await setKeyCount(100);
      try {
        const refused = await harness.call('create-api-key', { organizationId: org.id, body: {} });
        expect(refused).toMatchObject({ statusCode: 422, body: { code: 'api_key_limit_reached' } });
      } finally {
        await setKeyCount(previous);
        raw.destroy();
      }
    },
  ],
  'get-api-key': [async () => ok(200, await harness.call('get-api-key', { organizationId: org.id, apiKeyId: made.key! }))],
  'reveal-api-key': [async () => ok(200, await harness.call('reveal-api-key', { organizationId: org.id, apiKeyId: made.key! }))],
  'update-api-key': [
    async () => ok(200, await harness.call('update-api-key', { organizationId: org.id, apiKeyId: made.key!, body: { name: 'b' } })),
    // Moving an expiry creates the new jobs and removes the old ones.
    async () =>
      ok(
        200,
        await harness.call('update-api-key', {
          organizationId: org.id,
          apiKeyId: made.expiring!,
          body: { expires_at: new Date(Date.now() + 10 * 86_400_000).toISOString() },
        }),
      ),
  ],
  'rotate-api-key': [
    async () => {
      const rotated = ok(
        200,
        await harness.call<{ api_key: { id: string } }>('rotate-api-key', {
          organizationId: org.id,
          apiKeyId: made.key!,
          body: { expires_in: 'now' },
        }),
      );
      made.key = rotated.body.api_key.id;
    },
    async () =>
      ok(200, await harness.call('rotate-api-key', { organizationId: org.id, apiKeyId: made.rotating!, body: { expires_in: '1h' } })),
  ],
  'delete-api-key': [
    // The old key of a pending rotation: its retirement job goes with it.
    async () => ok(200, await harness.call('delete-api-key', { organizationId: org.id, apiKeyId: made.rotating! })),
    async () => ok(200, await harness.call('delete-api-key', { organizationId: org.id, apiKeyId: made.key! })),
  ],
  'list-audit-events': [async () => ok(200, await harness.call('list-audit-events', { organizationId: org.id }))],
  'get-organization-settings': [async () => ok(200, await harness.call('get-organization-settings', { organizationId: org.id }))],
  'update-organization-settings': [
    async () =>
      ok(200, await harness.call('update-organization-settings', { organizationId: org.id, body: { expiry_reminder_days: [3, 1] } })),
  ],
  'get-organization-usage': [
    async () => ok(200, await harness.call('get-organization-usage', { organizationId: org.id, query: { granularity: 'day' } })),
  ],
  'get-me': [async () => ok(200, await harness.call('get-me', { as: org.admin }))],
  'report-secret-scanning': [
    // Under a lifetime policy, the replacement key gets its jobs; an expiring key's rotation moves the counters.
    async () => {
      const leaks = await harness.seedOrganization('grants-leaks');
      ok(200, await harness.call('update-organization-settings', { organizationId: leaks.id, body: { max_key_lifetime_days: 90 } }));
      const expiring = ok(
        201,
        await harness.call<{ api_key: { value: string } }>('create-api-key', { organizationId: leaks.id, body: { expires_in: '30d' } }),
      );
      const answer = ok(200, await harness.reportLeaks([{ token: expiring.body.api_key.value }]));
      expect(answer.body[0]!.label).toBe('true_positive');
    },
    // The old key of a pending rotation: superseded now, its retirement job removed.
    async () => {
      const leaks = await harness.seedOrganization('grants-leaks-pending');
      ok(200, await harness.call('rotate-api-key', { organizationId: leaks.id, apiKeyId: leaks.firstKey.id, body: { expires_in: '1h' } }));
      const answer = ok(200, await harness.reportLeaks([{ token: leaks.firstKey.value }]));
      expect(answer.body[0]!.label).toBe('true_positive');
    },
  ],
  'get-openapi': [async () => ok(200, await harness.call('get-openapi', {}))],
};

describe('each operation runs with only what its manifest row grants, and needs all of it', () => {
  it.each(OPERATION_LIST.map((operation) => operation.entry))('%s succeeds within its grants', async (entry) => {
    for (const scenario of SCENARIOS[entry]) await scenario();
  });

  it.each(OPERATION_LIST.map((operation) => [operation.entry, operation as Operation] as const))(
    '%s used every table action, KMS use and scheduling its row grants',
    (entry, operation) => {
      const usage = harness.usage.get(entry) ?? { table: new Set(), kms: new Set(), schedules: new Set() };
      expect([...usage.table].sort()).toEqual([...operation.table].sort());
      expect([...usage.kms]).toEqual(operation.kms ? [operation.kms] : []);
      // `manage` is needed once a job is created (removing one is part of it); `remove` only removes.
      if (operation.schedules === 'manage') expect([...usage.schedules]).toContain('schedule');
      else expect([...usage.schedules]).toEqual(operation.schedules === 'remove' ? ['cancel'] : []);
    },
  );
});

describe('the guard', () => {
  const newKey = async () => (await harness.keys.create(org.id, { type: 'user', email: 'admin@grants.test' }, {})).id;
  beforeEach(() => {
    harness.denials.length = 0;
  });

  it('refuses a table action the running row does not grant, as IAM would (get with the grants of me: Query only)', async () => {
    const response = await harness.call('get-api-key', { organizationId: org.id, apiKeyId: await newKey() }, { grants: 'get-me' });
    expect(response.statusCode).toBe(500);
    expect(harness.denials).toEqual(['get-me is not granted dynamodb:GetItem by its manifest row']);
  });

  it('refuses each item of a transaction the row does not grant (create with the grants of get)', async () => {
    const response = await harness.call('create-api-key', { organizationId: org.id, body: {} }, { grants: 'get-api-key' });
    expect(response.statusCode).toBe(500);
    expect(harness.denials).toEqual(['get-api-key may not encrypt (kms in its manifest row)']);
    const update = await harness.call(
      'update-api-key',
      { organizationId: org.id, apiKeyId: await newKey(), body: { name: 'x' } },
      { grants: 'get-api-key' },
    );
    expect(update.statusCode).toBe(500);
    expect(harness.denials[1]).toBe(
      'get-api-key is not granted dynamodb:UpdateItem, dynamodb:UpdateItem, dynamodb:PutItem by its manifest row',
    );
  });

  it('refuses a KMS use the running row does not grant (reveal with the grants of create: encrypt only)', async () => {
    const reveals = async () => (await harness.auditTypes(org.id)).filter((type) => type === 'api_key.revealed').length;
    const before = await reveals();
    const response = await harness.call(
      'reveal-api-key',
      { organizationId: org.id, apiKeyId: await newKey() },
      { grants: 'create-api-key' },
    );
    expect(response.statusCode).toBe(500);
    expect(harness.denials).toEqual(['create-api-key may not decrypt (kms in its manifest row)']);
    expect(await reveals()).toBe(before);
  });

  it('refuses scheduling where the running row does not grant it (setting an expiry with the grants of delete: remove only)', async () => {
    const key = await newKey();
    const response = await harness.call(
      'update-api-key',
      { organizationId: org.id, apiKeyId: key, body: { expires_at: new Date(Date.now() + 86_400_000).toISOString() } },
      { grants: 'delete-api-key' },
    );
    expect(response.statusCode).toBe(500);
    expect(harness.denials).toEqual(['delete-api-key may not schedule (schedules in its manifest row)']);
    expect((await harness.keys.get(org.id, key)).expires_at).toBeNull();
  });
});
