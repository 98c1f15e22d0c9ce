import { checksumOf } from '../../lambdas/domain/token';
import { admin, consumer, newOrganization, stack, type TestOrganization, UNAUTHORIZED } from './support';

/** API.md §1 over real HTTP: the gateway, the api-key authorizer and the echo backend together. */
describe('consumer side (x-api-key)', () => {
  let org: TestOrganization;

  beforeAll(async () => {
    org = await newOrganization('consumer');
  });

  it('answers GET /health with 200 once the stack is ready', async () => {
    const reply = await consumer('GET', '/health');
    expect(reply).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('passes the demo key through to the echo backend with the authorizer context', async () => {
    const reply = await consumer('GET', '/v1/customers', stack.demoKey);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ organization_id: 'demo', api_key_id: stack.demoKeyId, resource: 'customer', mode: 'read' });
  });

  it('matches path templates and reports write mode for other methods', async () => {
    expect((await consumer('DELETE', '/v1/customers/42', org.key)).body).toEqual({
      organization_id: org.id,
      api_key_id: org.keyId,
      resource: 'customer',
      mode: 'write',
    });
    expect((await consumer('POST', '/v1/events/batch', org.key)).body).toMatchObject({ resource: 'event', mode: 'write' });
  });

  it('accepts the key as Authorization: Bearer when x-api-key is absent', async () => {
    const reply = await consumer('GET', '/v1/invoices', undefined, { authorization: `Bearer ${org.key}` });
    expect(reply).toMatchObject({ status: 200, body: { api_key_id: org.keyId, resource: 'invoice' } });
  });

  describe('401 with the exact body', () => {
    const unknownBody = `kw_${'A'.repeat(30)}`;

    it.each<[string, () => string | undefined]>([
      ['no key', () => undefined],
      ['a malformed key', () => 'not-a-key'],
      ['a key with a bad checksum', () => `${org.key.slice(0, -1)}${org.key.endsWith('0') ? '1' : '0'}`],
      ['an unknown key with a valid checksum', () => `${unknownBody}${checksumOf(unknownBody)}`],
    ])('rejects %s', async (_label, key) => {
      const reply = await consumer('GET', '/v1/customers', key());
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual(UNAUTHORIZED);
    });
  });

  it('denies a key without the mode for the resource with 403 and the code', async () => {
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'read-only', permissions: { customer: ['read'] } } });
    expect(created.status).toBe(201);
    const key = created.body.api_key.value as string;

    expect((await consumer('GET', '/v1/customers', key)).status).toBe(200);
    const write = await consumer('POST', '/v1/customers', key);
    expect(write.status).toBe(403);
    expect(write.body).toEqual({ status: 403, error: 'Forbidden', code: 'write_action_not_allowed_for_customer' });
    const otherResource = await consumer('GET', '/v1/invoices', key);
    expect(otherResource.body).toEqual({ status: 403, error: 'Forbidden', code: 'read_action_not_allowed_for_invoice' });
  });

  it('applies changed permissions on the very next request', async () => {
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { permissions: { plan: ['read'] } } });
    const { id, value } = created.body.api_key as { id: string; value: string };
    expect((await consumer('POST', '/v1/plans', value)).status).toBe(403);

    const patched = await admin('PATCH', `${org.keysPath}/${id}`, { jwt: org.jwt, body: { permissions: { plan: ['read', 'write'] } } });
    expect(patched.status).toBe(200);
    expect((await consumer('POST', '/v1/plans', value)).status).toBe(200);

    await admin('PATCH', `${org.keysPath}/${id}`, { jwt: org.jwt, body: { permissions: { plan: [] } } });
    expect((await consumer('GET', '/v1/plans', value)).status).toBe(403);
  });

  it('rejects the old key on the very next request after an instant rotation, and accepts the new one', async () => {
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'to-rotate' } });
    const old = created.body.api_key as { id: string; value: string };
    expect((await consumer('GET', '/v1/wallets', old.value)).status).toBe(200);

    const rotated = await admin('POST', `${org.keysPath}/${old.id}/rotate`, { jwt: org.jwt, body: { expires_in: 'now' } });
    expect(rotated.status).toBe(200);

    expect((await consumer('GET', '/v1/wallets', old.value)).body).toEqual(UNAUTHORIZED);
    const fresh = await consumer('GET', '/v1/wallets', rotated.body.api_key.value);
    expect(fresh.body).toMatchObject({ api_key_id: rotated.body.api_key.id, organization_id: org.id });
  });

  it('keeps the old key working until a scheduled expiry, then rejects it', async () => {
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'grace' } });
    const old = created.body.api_key as { id: string; value: string };
    const expiresAt = new Date(Date.now() + 2500).toISOString();

    const rotated = await admin('POST', `${org.keysPath}/${old.id}/rotate`, { jwt: org.jwt, body: { expires_at: expiresAt } });
    expect(rotated.status).toBe(200);
    expect((await consumer('GET', '/v1/customers', old.value)).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, Date.parse(expiresAt) - Date.now() + 200));
    expect((await consumer('GET', '/v1/customers', old.value)).body).toEqual(UNAUTHORIZED);
    expect((await consumer('GET', '/v1/customers', rotated.body.api_key.value)).status).toBe(200);
  });

  it('rejects a deleted key on the very next request', async () => {
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'to-delete' } });
    const key = created.body.api_key as { id: string; value: string };
    expect((await consumer('GET', '/v1/customers', key.value)).status).toBe(200);

    expect((await admin('DELETE', `${org.keysPath}/${key.id}`, { jwt: org.jwt })).status).toBe(200);
    const reply = await consumer('GET', '/v1/customers', key.value);
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual(UNAUTHORIZED);
  });

  it('sets last_used_at on a tracked route and leaves it alone on event ingestion', async () => {
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'usage' } });
    const key = created.body.api_key as { id: string; value: string; last_used_at: string | null };
    expect(key.last_used_at).toBeNull();

    expect((await consumer('POST', '/v1/events', key.value)).status).toBe(200);
    expect((await admin('GET', `${org.keysPath}/${key.id}`, { jwt: org.jwt })).body.api_key.last_used_at).toBeNull();

    const before = Date.now();
    expect((await consumer('GET', '/v1/customers', key.value)).status).toBe(200);
    const used = (await admin('GET', `${org.keysPath}/${key.id}`, { jwt: org.jwt })).body.api_key.last_used_at as string;
    expect(Date.parse(used)).toBeGreaterThanOrEqual(before - 1000);

    expect((await consumer('POST', '/v1/events', key.value)).status).toBe(200);
    expect((await admin('GET', `${org.keysPath}/${key.id}`, { jwt: org.jwt })).body.api_key.last_used_at).toBe(used);
  });

  it('denies paths and methods outside the route table (fail closed)', async () => {
    const denied = { status: 403, error: 'Forbidden', code: 'route_not_allowed' };
    expect(await consumer('GET', '/v1/nothing-here', org.key)).toMatchObject({ status: 403, body: denied });
    expect(await consumer('PUT', '/v1/customers', org.key)).toMatchObject({ status: 403, body: denied });
    expect(await consumer('PUT', '/v1/customers')).toMatchObject({ status: 403, body: denied });
  });
});
