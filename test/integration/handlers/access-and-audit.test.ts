import type { ApiKeyWithValue } from '../../../lambdas/domain/api-key';
import { type AuditListBody, HandlerHarness, ORGANIZATION_ENTRIES, type SeededOrganization } from './harness';

let harness: HandlerHarness;
let acme: SeededOrganization;

beforeAll(async () => {
  harness = await HandlerHarness.start();
  acme = await harness.seedOrganization('acme');
});
afterAll(() => harness.stop());

/** Every operation on an organization: the admin authorizer's verdict on the caller decides. */
const ENTRIES = ORGANIZATION_ENTRIES;

describe('who may call', () => {
  const state = async () => ({ keys: await harness.listKeys(acme.id), events: await harness.auditTypes(acme.id) });

  it.each(ENTRIES)('%s: a member gets 403 admin_role_required and nothing changes', async (entry) => {
    const before = await state();
    const response = await harness.call(entry, { organizationId: acme.id, apiKeyId: acme.firstKey.id, as: acme.member, body: {} });
    expect(response).toMatchObject({ statusCode: 403, body: { status: 403, error: 'Forbidden', code: 'admin_role_required' } });
    expect(await state()).toEqual(before);
  });

  it.each(ENTRIES)('%s: a non-member gets 404 organization_not_found', async (entry) => {
    const response = await harness.call(entry, {
      organizationId: acme.id,
      apiKeyId: acme.firstKey.id,
      as: { email: 'stranger@elsewhere.test', role: 'none' },
    });
    expect(response).toMatchObject({ statusCode: 404, body: { status: 404, error: 'Not Found', code: 'organization_not_found' } });
  });

  it.each(ENTRIES)('%s: a role without an email gets the bare 401', async (entry) => {
    const response = await harness.call(entry, { organizationId: acme.id, apiKeyId: acme.firstKey.id, as: { role: 'admin' } });
    expect(response).toEqual(expect.objectContaining({ statusCode: 401, body: { status: 401, error: 'Unauthorized' } }));
  });
});

describe('GET …/audit_events', () => {
  it('lists events newest first, with actor and key, never a token, and pages with a cursor', async () => {
    const org = await harness.seedOrganization('audited');
    const created = await harness.call<{ api_key: ApiKeyWithValue }>('create-api-key', { organizationId: org.id, body: { name: 'ci' } });
    const key = created.body.api_key;
    await harness.call('update-api-key', { organizationId: org.id, apiKeyId: key.id, body: { name: 'ci-2' } });
    const revealed = await harness.call<{ api_key: ApiKeyWithValue }>('reveal-api-key', { organizationId: org.id, apiKeyId: key.id });
    await harness.call('delete-api-key', { organizationId: org.id, apiKeyId: key.id });

    const all = await harness.call<AuditListBody>('list-audit-events', { organizationId: org.id });
    expect(all.statusCode).toBe(200);
    expect(all.body.meta).toEqual({ next_cursor: null });
    expect(all.body.audit_events.map((event) => event.type)).toEqual([
      'api_key.deleted',
      'api_key.revealed',
      'api_key.updated',
      'api_key.created',
      'api_key.created',
    ]);
    const [deleted] = all.body.audit_events;
    expect(deleted).toMatchObject({ api_key_id: key.id, actor: { type: 'user', email: 'admin@audited.test' } });
    expect(Object.keys(deleted!).sort()).toEqual(['actor', 'api_key_id', 'details', 'id', 'occurred_at', 'type']);
    expect(all.body.audit_events.at(-1)!.actor).toEqual({ type: 'system' });
    const text = JSON.stringify(all.body);
    for (const token of [key.value, revealed.body.api_key.value, org.firstKey.value]) expect(text).not.toContain(token);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: Record<string, string> = { limit: '2', ...(cursor ? { cursor } : {}) };
      const page: { statusCode: number; body: AuditListBody } = await harness.call<AuditListBody>('list-audit-events', {
        organizationId: org.id,
        query,
      });
      expect(page.statusCode).toBe(200);
      seen.push(...page.body.audit_events.map((event) => event.id));
      cursor = page.body.meta.next_cursor;
    } while (cursor);
    expect(seen).toEqual(all.body.audit_events.map((event) => event.id));
  });

  it('refuses a bad limit with error_details.limit', async () => {
    const response = await harness.call('list-audit-events', { organizationId: acme.id, query: { limit: '1000' } });
    expect(response).toMatchObject({ statusCode: 422, body: { code: 'validation_errors', error_details: { limit: expect.any(Array) } } });
  });
});
