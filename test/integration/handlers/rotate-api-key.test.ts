import { readdirSync } from 'node:fs';
import type { ApiKeyView, ApiKeyWithValue } from '../../../lambdas/domain/api-key';
import { hashToken } from '../../../lambdas/domain/token';
import { HandlerHarness, type KeyListBody, type SeededOrganization } from './harness';

interface RotateBody {
  api_key: ApiKeyWithValue;
  rotated_api_key: ApiKeyView;
}

let harness: HandlerHarness;
let counter = 0;

beforeAll(async () => {
  harness = await HandlerHarness.start();
});
afterAll(() => harness.stop());

/** A fresh organization whose first key has a name and narrowed permissions, to see them inherited. */
async function organizationWithNamedKey(): Promise<{ org: SeededOrganization; key: ApiKeyWithValue }> {
  const org = await harness.seedOrganization(`rot-${++counter}`);
  const created = await harness.call<{ api_key: ApiKeyWithValue }>('create-api-key', {
    organizationId: org.id,
    body: { name: 'billing sync', permissions: { invoice: ['read'], customer: ['read', 'write'] } },
  });
  return { org, key: created.body.api_key };
}

const listedIds = async (organizationId: string) =>
  (await harness.call<KeyListBody>('list-api-keys', { organizationId })).body.api_keys.map((key) => key.id);

describe('POST …/api_keys/{id}/rotate', () => {
  it.each([
    ['an empty body (Lago default: now)', undefined],
    ['expires_in now', { expires_in: 'now' }],
    ['expires_at in the past', { expires_at: '2020-01-01T00:00:00Z' }],
  ])('rotates at once for %s: the old key is gone and the new one inherits name and permissions', async (_, body) => {
    const { org, key } = await organizationWithNamedKey();
    const response = await harness.call<RotateBody>('rotate-api-key', { organizationId: org.id, apiKeyId: key.id, body });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');

    const { api_key: next, rotated_api_key: old } = response.body;
    expect(next.id).not.toBe(key.id);
    expect(next).toMatchObject({ name: 'billing sync', permissions: key.permissions, expires_at: null, organization_id: org.id });
    expect(next.value).not.toBe(key.value);
    expect(old).toMatchObject({ id: key.id, name: 'billing sync', masked_value: key.masked_value });
    expect(old).not.toHaveProperty('value');
    expect(Date.parse(old.expires_at!)).toBeLessThanOrEqual(Date.now());

    expect(await listedIds(org.id)).toEqual([org.firstKey.id, next.id]);
    expect(await harness.store.findByHash(hashToken(key.value))).toBeUndefined();
    expect(await harness.store.findByHash(hashToken(next.value))).toMatchObject({ apiKeyId: next.id, expiresAt: null });
    expect(await harness.call('get-api-key', { organizationId: org.id, apiKeyId: key.id })).toMatchObject({ statusCode: 404 });

    const revealed = await harness.call<{ api_key: ApiKeyWithValue }>('reveal-api-key', { organizationId: org.id, apiKeyId: next.id });
    expect(revealed.body.api_key.value).toBe(next.value);
  });

  it('schedules the old key to expire: it stays listed with its expires_at and keeps resolving until then', async () => {
    const { org, key } = await organizationWithNamedKey();
    const before = Date.now();
    const response = await harness.call<RotateBody>('rotate-api-key', {
      organizationId: org.id,
      apiKeyId: key.id,
      body: { expires_in: '1h' },
    });
    expect(response.statusCode).toBe(200);
    const expiresAt = Date.parse(response.body.rotated_api_key.expires_at!);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000);

    const listed = (await harness.call<KeyListBody>('list-api-keys', { organizationId: org.id })).body.api_keys;
    expect(listed.map((k) => k.id)).toEqual([org.firstKey.id, key.id, response.body.api_key.id]);
    expect(listed[1]!.expires_at).toBe(response.body.rotated_api_key.expires_at);
    expect((await harness.store.findByHash(hashToken(key.value)))?.expiresAt).toBe(response.body.rotated_api_key.expires_at);
    expect(readdirSync(process.env.LOCAL_SCHEDULE_DIR!).some((file) => file.endsWith('.json'))).toBe(true);
  });

  it('refuses a second rotation of a key with a pending expiry (422 rotation_already_scheduled)', async () => {
    const { org, key } = await organizationWithNamedKey();
    await harness.call('rotate-api-key', { organizationId: org.id, apiKeyId: key.id, body: { expires_in: '24h' } });
    const keysBefore = await harness.listKeys(org.id);
    const response = await harness.call('rotate-api-key', { organizationId: org.id, apiKeyId: key.id, body: { expires_in: 'now' } });
    expect(response).toMatchObject({
      statusCode: 422,
      body: { status: 422, error: 'Unprocessable Entity', code: 'rotation_already_scheduled' },
    });
    expect(await harness.listKeys(org.id)).toEqual(keysBefore);
  });

  it.each([
    ['both fields', { expires_in: '1h', expires_at: '2099-01-01T00:00:00Z' }, ['expires_at', 'expires_in']],
    ['an unknown expires_in', { expires_in: '30d' }, ['expires_in']],
    ['an expires_at without timezone', { expires_at: '2099-01-01T00:00:00' }, ['expires_at']],
    ['an expires_at more than 7 days ahead', { expires_at: new Date(Date.now() + 8 * 86_400_000).toISOString() }, ['expires_at']],
    ['only an unknown field', { when: 'now' }, ['when']],
  ])('refuses %s with 422 validation_errors and changes nothing', async (_, body, fields) => {
    const { org, key } = await organizationWithNamedKey();
    const before = { keys: await harness.listKeys(org.id), events: await harness.auditTypes(org.id) };
    const response = await harness.call('rotate-api-key', { organizationId: org.id, apiKeyId: key.id, body });
    expect(response.statusCode).toBe(422);
    expect(response.body).toMatchObject({ code: 'validation_errors' });
    expect(Object.keys(response.body.error_details as object).sort()).toEqual(fields);
    expect(await harness.listKeys(org.id)).toEqual(before.keys);
    expect(await harness.auditTypes(org.id)).toEqual(before.events);
  });

  it('answers 400 invalid_json and changes nothing', async () => {
    const { org, key } = await organizationWithNamedKey();
    const response = await harness.call('rotate-api-key', { organizationId: org.id, apiKeyId: key.id, body: 'now' });
    expect(response).toMatchObject({ statusCode: 400, body: { code: 'invalid_json' } });
    expect(await listedIds(org.id)).toEqual([org.firstKey.id, key.id]);
  });

  it("answers 404 for another organization's key", async () => {
    const { org } = await organizationWithNamedKey();
    const other = await organizationWithNamedKey();
    const response = await harness.call('rotate-api-key', { organizationId: org.id, apiKeyId: other.key.id });
    expect(response).toMatchObject({ statusCode: 404, body: { code: 'api_key_not_found' } });
    expect(await listedIds(other.org.id)).toEqual([other.org.firstKey.id, other.key.id]);
  });

  it('refuses to delete the only key without a pending expiry once its sibling is rotating', async () => {
    const { org, key } = await organizationWithNamedKey();
    const rotated = await harness.call<RotateBody>('rotate-api-key', {
      organizationId: org.id,
      apiKeyId: key.id,
      body: { expires_in: '1h' },
    });
    expect((await harness.call('delete-api-key', { organizationId: org.id, apiKeyId: org.firstKey.id })).statusCode).toBe(200);
    const response = await harness.call('delete-api-key', { organizationId: org.id, apiKeyId: rotated.body.api_key.id });
    expect(response).toMatchObject({ statusCode: 422, body: { code: 'last_non_expiring_api_key' } });
  });
});
