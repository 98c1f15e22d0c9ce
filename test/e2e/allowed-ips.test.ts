import { admin, consumer, newOrganization, type TestOrganization } from './support';

/**
 * API.md §9 IP allowlist over real HTTP: the local gateway passes the socket's address as
 * `requestContext.identity.sourceIp`, as API Gateway does, and the authorizer decides from it.
 * The test client calls from 127.0.0.1.
 */
describe('allowed_ips over HTTP', () => {
  let org: TestOrganization;
  const IP_NOT_ALLOWED = { status: 403, error: 'Forbidden', code: 'ip_not_allowed' };

  beforeAll(async () => {
    org = await newOrganization('allowlist');
  });

  async function create(body: Record<string, unknown>) {
    return admin('POST', org.keysPath, { jwt: org.jwt, body });
  }

  it('lets a key through from inside its allowlist and answers 403 ip_not_allowed from outside', async () => {
    const inside = await create({ name: 'loopback', allowed_ips: ['127.0.0.1'] });
    expect(inside.status).toBe(201);
    expect(inside.body.api_key.allowed_ips).toEqual(['127.0.0.1/32']);
    expect((await consumer('GET', '/v1/customers', inside.body.api_key.value)).status).toBe(200);

    const outside = await create({ name: 'office', allowed_ips: ['203.0.113.0/24', '2001:db8::/32'] });
    expect(outside.status).toBe(201);
    const reply = await consumer('GET', '/v1/customers', outside.body.api_key.value);
    expect(reply.status).toBe(403);
    expect(reply.body).toEqual(IP_NOT_ALLOWED);
    // Refused from outside: not a use of the key.
    const read = await admin('GET', `${org.keysPath}/${outside.body.api_key.id}`, { jwt: org.jwt });
    expect(read.body.api_key.last_used_at).toBeNull();
  });

  it('applies a PATCH of allowed_ips on the next request, and null lets any address in', async () => {
    const created = await create({ allowed_ips: ['203.0.113.0/24'] });
    const { id, value } = created.body.api_key as { id: string; value: string };
    expect((await consumer('GET', '/v1/customers', value)).body).toEqual(IP_NOT_ALLOWED);

    const widened = await admin('PATCH', `${org.keysPath}/${id}`, {
      jwt: org.jwt,
      body: { allowed_ips: ['203.0.113.0/24', '127.0.0.0/8'] },
    });
    expect(widened.status).toBe(200);
    expect(widened.body.api_key.allowed_ips).toEqual(['203.0.113.0/24', '127.0.0.0/8']);
    expect((await consumer('GET', '/v1/customers', value)).status).toBe(200);

    await admin('PATCH', `${org.keysPath}/${id}`, { jwt: org.jwt, body: { allowed_ips: ['198.51.100.0/24'] } });
    expect((await consumer('GET', '/v1/customers', value)).body).toEqual(IP_NOT_ALLOWED);

    const lifted = await admin('PATCH', `${org.keysPath}/${id}`, { jwt: org.jwt, body: { allowed_ips: null } });
    expect(lifted.body.api_key.allowed_ips).toBeNull();
    expect((await consumer('GET', '/v1/customers', value)).status).toBe(200);
  });

  it('copies the allowlist to the new key of a rotation', async () => {
    const created = await create({ allowed_ips: ['203.0.113.0/24'] });
    const rotated = await admin('POST', `${org.keysPath}/${created.body.api_key.id}/rotate`, { jwt: org.jwt, body: { expires_in: 'now' } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.api_key.allowed_ips).toEqual(['203.0.113.0/24']);
    expect((await consumer('GET', '/v1/customers', rotated.body.api_key.value)).body).toEqual(IP_NOT_ALLOWED);
  });

  it('refuses a malformed block with 422 naming allowed_ips, creating nothing', async () => {
    const before = await admin('GET', org.keysPath, { jwt: org.jwt });
    const refused = await create({ name: 'bad', allowed_ips: ['203.0.113.0/33'] });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'validation_errors', error_details: { allowed_ips: [expect.any(String)] } });
    const tooMany = await create({ allowed_ips: Array.from({ length: 21 }, (_, i) => `10.${i}.0.0/16`) });
    expect(tooMany.status).toBe(422);
    expect(Object.keys(tooMany.body.error_details)).toEqual(['allowed_ips']);
    const after = await admin('GET', org.keysPath, { jwt: org.jwt });
    expect(after.body.api_keys).toHaveLength(before.body.api_keys.length);
  });

  it('shows allowed_ips null on a key without an allowlist', async () => {
    const created = await create({});
    expect(created.body.api_key.allowed_ips).toBeNull();
  });
});
