import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, type JWK, SignJWT } from 'jose';
import { createDevIssuer } from '../../local/dev-issuer';
import { addMember, admin, consumer, mintJwt, newOrganization, stack, type TestOrganization, UNAUTHORIZED } from './support';

/** API.md §3 over real HTTP: the admin authorizer, the management handlers and their error table. */
describe('management API', () => {
  let org: TestOrganization;
  let other: TestOrganization;

  beforeAll(async () => {
    [org, other] = await Promise.all([newOrganization('mgmt'), newOrganization('mgmt-other')]);
  });

  const KEY_FIELDS = [
    'allowed_ips',
    'created_at',
    'expires_at',
    'expiry_source',
    'id',
    'last_used_at',
    'masked_value',
    'name',
    'organization_id',
    'permissions',
  ];

  /** A key object exactly as API.md §3 describes it: these fields (plus `extra`'s), these formats. */
  function expectKey(key: Record<string, unknown>, extra: Record<string, unknown> = {}): void {
    expect(Object.keys(key).sort()).toEqual([...new Set([...KEY_FIELDS, ...Object.keys(extra)])].sort());
    expect(key).toMatchObject({
      id: expect.any(String),
      organization_id: org.id,
      masked_value: expect.stringMatching(/^kw_•{8}[0-9A-Za-z]{4}$/),
      permissions: expect.any(Object),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      expires_at: null,
      ...extra,
    });
  }

  describe('401 for a missing, invalid or expired JWT', () => {
    it('rejects a request without a token', async () => {
      const reply = await admin('GET', org.keysPath);
      expect(reply).toMatchObject({ status: 401, body: UNAUTHORIZED });
      expect(reply.body).toEqual(UNAUTHORIZED);
    });

    it('rejects a token that is not a JWT', async () => {
      expect((await admin('GET', org.keysPath, { jwt: 'not.a.jwt' })).body).toEqual(UNAUTHORIZED);
    });

    it('rejects an expired token from the right issuer', async () => {
      const expired = await mintJwt({ email: org.adminEmail, expiresIn: '-1m' });
      const reply = await admin('GET', org.keysPath, { jwt: expired });
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual(UNAUTHORIZED);
    });

    it('rejects a token signed by another key with the same issuer and audience', async () => {
      const impostor = await createDevIssuer({ issuer: stack.issuer, audience: stack.audience });
      const reply = await admin('GET', org.keysPath, { jwt: await impostor.mint({ email: org.adminEmail }) });
      expect(reply).toMatchObject({ status: 401, body: UNAUTHORIZED });
    });

    it("rejects a token whose signing key id is the issuer's but whose signature is not", async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const jwks = (await (await fetch(`${stack.issuer}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
      const forged = await new SignJWT({ email: org.adminEmail, email_verified: true })
        .setProtectedHeader({ alg: 'ES256', kid: jwks.keys[0]!.kid! })
        .setIssuer(stack.issuer)
        .setAudience(stack.audience)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
      expect((await admin('GET', org.keysPath, { jwt: forged })).body).toEqual(UNAUTHORIZED);
    });

    it('rejects a token without a verified email', async () => {
      const unverified = await mintJwt({ email: org.adminEmail, emailVerified: false });
      expect((await admin('GET', org.keysPath, { jwt: unverified })).status).toBe(401);
    });
  });

  it('answers 403 admin_role_required for a member who is not an admin', async () => {
    await addMember(org.id, 'member@example.test', 'member');
    const reply = await admin('GET', org.keysPath, { jwt: await mintJwt({ email: 'member@example.test' }) });
    expect(reply.status).toBe(403);
    expect(reply.body).toEqual({ status: 403, error: 'Forbidden', code: 'admin_role_required' });
  });

  it.each([
    ['an unknown organization', () => '/v1/organizations/no-such-org/api_keys'],
    ['an organization the caller is not a member of', () => other.keysPath],
  ])('answers 404 organization_not_found for %s', async (_label, path) => {
    const reply = await admin('GET', path(), { jwt: org.jwt });
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ status: 404, error: 'Not Found', code: 'organization_not_found' });
  });

  describe('404 api_key_not_found', () => {
    const notFound = { status: 404, error: 'Not Found', code: 'api_key_not_found' };

    it('for an unknown key id', async () => {
      expect((await admin('GET', `${org.keysPath}/01ZZZZZZZZZZZZZZZZZZZZZZZZ`, { jwt: org.jwt })).body).toEqual(notFound);
    });

    it('for a deleted key, on every key route', async () => {
      const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: {} });
      const id = created.body.api_key.id as string;
      expect((await admin('DELETE', `${org.keysPath}/${id}`, { jwt: org.jwt })).status).toBe(200);
      const path = `${org.keysPath}/${id}`;
      for (const [method, suffix, body] of [
        ['GET', '', undefined],
        ['POST', '/reveal', undefined],
        ['PATCH', '', { name: 'x' }],
        ['POST', '/rotate', { expires_in: 'now' }],
        ['DELETE', '', undefined],
      ] as const) {
        const reply = await admin(method, `${path}${suffix}`, { jwt: org.jwt, body });
        expect({ method, suffix, status: reply.status, body: reply.body }).toEqual({ method, suffix, status: 404, body: notFound });
      }
    });

    it("for another organization's key addressed under the caller's organization", async () => {
      const reply = await admin('GET', `${org.keysPath}/${other.keyId}`, { jwt: org.jwt });
      expect(reply).toMatchObject({ status: 404, body: notFound });
    });
  });

  it('answers 400 invalid_json for a body that is not JSON', async () => {
    const reply = await admin('POST', org.keysPath, { jwt: org.jwt, body: '{"name":' });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ status: 400, error: 'Bad Request', code: 'invalid_json' });
  });

  it('answers 413 for a body over 16 KiB', async () => {
    const reply = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'x'.repeat(17 * 1024) } });
    expect(reply.status).toBe(413);
    expect(reply.body).toMatchObject({ status: 413 });
  });

  it('answers 422 validation_errors with error_details per field', async () => {
    const reply = await admin('POST', org.keysPath, {
      jwt: org.jwt,
      body: { name: 'n'.repeat(101), permissions: { nope: ['read'], customer: ['delete'] } },
    });
    expect(reply.status).toBe(422);
    expect(reply.body).toMatchObject({ status: 422, error: 'Unprocessable Entity', code: 'validation_errors' });
    expect(Object.keys(reply.body.error_details)).toEqual(expect.arrayContaining(['name']));
    expect(JSON.stringify(reply.body.error_details)).toMatch(/permissions/);

    const empty = await admin('POST', org.keysPath, { jwt: org.jwt, body: { permissions: {} } });
    expect(empty).toMatchObject({ status: 422, body: { code: 'validation_errors', error_details: expect.any(Object) } });

    const rotate = await admin('POST', `${org.keysPath}/${org.keyId}/rotate`, { jwt: org.jwt, body: { expires_in: '3d' } });
    expect(rotate).toMatchObject({ status: 422, body: { code: 'validation_errors' } });
  });

  it('creates (201), lists, gets, reveals, updates and audits keys with the documented shapes', async () => {
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'shapes', permissions: { customer: ['read'] } } });
    expect(created.status).toBe(201);
    expectKey(created.body.api_key, {
      name: 'shapes',
      permissions: { customer: ['read'] },
      last_used_at: null,
      value: expect.stringMatching(/^kw_/),
    });
    const { id, value } = created.body.api_key as { id: string; value: string };
    expect(value.slice(-4)).toBe((created.body.api_key.masked_value as string).slice(-4));

    const listed = await admin('GET', `${org.keysPath}?limit=100`, { jwt: org.jwt });
    expect(listed.status).toBe(200);
    expect(listed.body.meta).toEqual({ next_cursor: null });
    const ids = (listed.body.api_keys as { id: string }[]).map((key) => key.id);
    expect(ids.indexOf(org.keyId)).toBeLessThan(ids.indexOf(id));
    for (const key of listed.body.api_keys) expectKey(key);

    const page = await admin('GET', `${org.keysPath}?limit=1`, { jwt: org.jwt });
    expect(page.body.api_keys).toHaveLength(1);
    expect(page.body.meta.next_cursor).toEqual(expect.any(String));

    const got = await admin('GET', `${org.keysPath}/${id}`, { jwt: org.jwt });
    expect(got).toMatchObject({ status: 200 });
    expectKey(got.body.api_key, { id, name: 'shapes', permissions: { customer: ['read'] } });

    const revealed = await admin('POST', `${org.keysPath}/${id}/reveal`, { jwt: org.jwt });
    expect(revealed.status).toBe(200);
    expect(revealed.headers.get('cache-control')).toBe('no-store');
    expect(revealed.body.api_key).toMatchObject({ id, value });

    const renamed = await admin('PATCH', `${org.keysPath}/${id}`, { jwt: org.jwt, body: { name: 'renamed' } });
    expect(renamed.status).toBe(200);
    expect(renamed.body.api_key).toMatchObject({ id, name: 'renamed', permissions: { customer: ['read'] } });

    const audit = await admin('GET', `/v1/organizations/${org.id}/audit_events`, { jwt: org.jwt });
    expect(audit.status).toBe(200);
    expect(audit.body.meta).toHaveProperty('next_cursor');
    const types = (audit.body.audit_events as { type: string; api_key_id: string }[])
      .filter((event) => event.api_key_id === id)
      .map((event) => event.type);
    expect(types).toEqual(['api_key.updated', 'api_key.revealed', 'api_key.created']);
    expect(JSON.stringify(audit.body)).not.toContain(value);
  });

  it('rotates: the new key inherits name and permissions, and a second scheduled rotation is refused', async () => {
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'rotating', permissions: { invoice: ['read'] } } });
    const old = created.body.api_key as { id: string };

    const rotated = await admin('POST', `${org.keysPath}/${old.id}/rotate`, { jwt: org.jwt, body: { expires_in: '1h' } });
    expect(rotated.status).toBe(200);
    expectKey(rotated.body.api_key, { name: 'rotating', permissions: { invoice: ['read'] }, value: expect.any(String) });
    expect(rotated.body.rotated_api_key).toMatchObject({ id: old.id, expires_at: expect.any(String) });

    const listed = await admin('GET', org.keysPath, { jwt: org.jwt });
    expect(listed.body.api_keys).toContainEqual(
      expect.objectContaining({ id: old.id, expires_at: rotated.body.rotated_api_key.expires_at }),
    );

    const again = await admin('POST', `${org.keysPath}/${old.id}/rotate`, { jwt: org.jwt, body: { expires_in: 'now' } });
    expect(again.status).toBe(422);
    expect(again.body).toEqual({ status: 422, error: 'Unprocessable Entity', code: 'rotation_already_scheduled' });
  });

  it('refuses to delete the last non-expiring key with 422 last_non_expiring_api_key', async () => {
    const lonely = await newOrganization('lonely');
    const reply = await admin('DELETE', `${lonely.keysPath}/${lonely.keyId}`, { jwt: lonely.jwt });
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual({ status: 422, error: 'Unprocessable Entity', code: 'last_non_expiring_api_key' });
    expect((await consumer('GET', '/v1/customers', lonely.key)).status).toBe(200);
  });

  it('deletes a key (200 with the key) and drops it from the list', async () => {
    const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'doomed' } });
    const id = created.body.api_key.id as string;
    const deleted = await admin('DELETE', `${org.keysPath}/${id}`, { jwt: org.jwt });
    expect(deleted.status).toBe(200);
    expectKey(deleted.body.api_key, { id, name: 'doomed' });
    const listed = await admin('GET', org.keysPath, { jwt: org.jwt });
    expect((listed.body.api_keys as { id: string }[]).map((key) => key.id)).not.toContain(id);
  });

  it('refuses the 101st key with 422 api_key_limit_reached', async () => {
    const full = await newOrganization('full');
    // The first key plus 11 batches of 9 make 100.
    for (let batch = 0; batch < 11; batch++) {
      const replies = await Promise.all(Array.from({ length: 9 }, () => admin('POST', full.keysPath, { jwt: full.jwt, body: {} })));
      expect(replies.map((reply) => reply.status)).toEqual(Array(9).fill(201));
    }
    const reply = await admin('POST', full.keysPath, { jwt: full.jwt, body: { name: 'one too many' } });
    expect(reply.status).toBe(422);
    expect(reply.body).toEqual({ status: 422, error: 'Unprocessable Entity', code: 'api_key_limit_reached' });
  }, 60_000);

  describe('concurrent changes: ETag and If-Match (API.md §3)', () => {
    const PRECONDITION_FAILED = { status: 412, error: 'Precondition Failed', code: 'precondition_failed' };
    /** The local stack's retirement jobs for one key (`npm start` keeps them under <state>/schedules). */
    const jobsOf = (id: string) => readdirSync(join(stack.stateDir, 'schedules')).filter((file) => file.includes(id));
    const auditOf = async (id: string) =>
      (
        (await admin('GET', `/v1/organizations/${org.id}/audit_events`, { jwt: org.jwt })).body.audit_events as { api_key_id: string }[]
      ).filter((event) => event.api_key_id === id);

    it('sends an ETag with every response that returns one key', async () => {
      const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'etag' } });
      const path = `${org.keysPath}/${created.body.api_key.id}`;
      const etags = {
        create: created.headers.get('etag'),
        get: (await admin('GET', path, { jwt: org.jwt })).headers.get('etag'),
        reveal: (await admin('POST', `${path}/reveal`, { jwt: org.jwt })).headers.get('etag'),
        update: (await admin('PATCH', path, { jwt: org.jwt, body: { name: 'etag 2' } })).headers.get('etag'),
        rotate: (await admin('POST', `${path}/rotate`, { jwt: org.jwt, body: { expires_in: '1h' } })).headers.get('etag'),
        delete: (await admin('DELETE', path, { jwt: org.jwt })).headers.get('etag'),
      };
      expect(etags).toEqual({ create: '"1"', get: '"1"', reveal: '"1"', update: '"2"', rotate: '"1"', delete: '"3"' });
      expect(jobsOf(created.body.api_key.id)).toEqual([]);
    });

    it.each([
      ['PATCH', '', { permissions: { customer: ['read'] } }],
      ['POST', '/rotate', { expires_in: '24h' }],
      ['DELETE', '', undefined],
    ] as const)('answers %s%s with a stale If-Match with 412 and changes nothing', async (method, suffix, body) => {
      const created = await admin('POST', org.keysPath, {
        jwt: org.jwt,
        body: { name: 'stale', permissions: { customer: ['read', 'write'] } },
      });
      const { id } = created.body.api_key as { id: string };
      const path = `${org.keysPath}/${id}`;
      const renamed = await admin('PATCH', path, { jwt: org.jwt, body: { name: 'changed by someone else' } });
      expect(renamed.headers.get('etag')).toBe('"2"');
      const before = { key: (await admin('GET', path, { jwt: org.jwt })).body, audit: await auditOf(id), jobs: jobsOf(id) };

      const reply = await admin(method, `${path}${suffix}`, { jwt: org.jwt, body, headers: { 'If-Match': created.headers.get('etag')! } });

      expect(reply.status).toBe(412);
      expect(reply.body).toEqual(PRECONDITION_FAILED);
      expect({ key: (await admin('GET', path, { jwt: org.jwt })).body, audit: await auditOf(id), jobs: jobsOf(id) }).toEqual(before);
    });

    it('applies a change sent with the current ETag and answers the next one', async () => {
      const created = await admin('POST', org.keysPath, { jwt: org.jwt, body: { name: 'current' } });
      const path = `${org.keysPath}/${created.body.api_key.id}`;
      const patched = await admin('PATCH', path, {
        jwt: org.jwt,
        body: { name: 'next' },
        headers: { 'If-Match': created.headers.get('etag')! },
      });
      expect(patched.status).toBe(200);
      expect(patched.headers.get('etag')).toBe('"2"');
      expect(patched.body.api_key).toMatchObject({ name: 'next' });
      const deleted = await admin('DELETE', path, { jwt: org.jwt, headers: { 'If-Match': patched.headers.get('etag')! } });
      expect(deleted.status).toBe(200);
      expect((await admin('GET', path, { jwt: org.jwt })).status).toBe(404);
    });
  });
});
