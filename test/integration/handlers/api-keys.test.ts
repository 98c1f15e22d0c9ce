import type { ApiKeyView, ApiKeyWithValue } from '../../../lambdas/domain/api-key';
import { MAX_KEYS_PER_ORGANIZATION } from '../../../lambdas/domain/api-key';
import { DEFAULT_RESOURCE_CATALOG, defaultPermissions } from '../../../lambdas/domain/permissions';
import { hashToken, isWellFormedToken, maskToken } from '../../../lambdas/domain/token';
import { HandlerHarness, KEY_PREFIX, type KeyListBody, type SeededOrganization } from './harness';

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

let harness: HandlerHarness;
let acme: SeededOrganization;
let globex: SeededOrganization;

beforeAll(async () => {
  harness = await HandlerHarness.start();
  acme = await harness.seedOrganization('acme');
  globex = await harness.seedOrganization('globex');
});
afterAll(() => harness.stop());

/** A fresh organization for tests that need a known key count. */
let counter = 0;
const freshOrganization = () => harness.seedOrganization(`org-${++counter}`);

const notFound = { status: 404, error: 'Not Found', code: 'api_key_not_found' };

describe('POST …/api_keys (create)', () => {
  it('creates a key with default permissions and returns its token once, not cacheable', async () => {
    const response = await harness.call<{ api_key: ApiKeyWithValue }>('create-api-key', { organizationId: acme.id });
    expect(response.statusCode).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const key = response.body.api_key;
    expect(Object.keys(key).sort()).toEqual([...KEY_FIELDS, 'value'].sort());
    expect(isWellFormedToken(key.value, KEY_PREFIX)).toBe(true);
    expect(key).toMatchObject({
      organization_id: 'acme',
      name: null,
      masked_value: maskToken(key.value),
      permissions: defaultPermissions(DEFAULT_RESOURCE_CATALOG),
      expires_at: null,
      last_used_at: null,
    });
    expect(Date.parse(key.created_at)).not.toBeNaN();
    const hot = await harness.store.findByHash(hashToken(key.value));
    expect(hot).toMatchObject({ organizationId: 'acme', apiKeyId: key.id });
  });

  it('takes a trimmed name and the given permissions', async () => {
    const response = await harness.call<{ api_key: ApiKeyWithValue }>('create-api-key', {
      organizationId: acme.id,
      body: { name: '  billing sync ', permissions: { invoice: ['read'], customer: ['write', 'read'] } },
    });
    expect(response.statusCode).toBe(201);
    expect(response.body.api_key).toMatchObject({ name: 'billing sync', permissions: { customer: ['read', 'write'], invoice: ['read'] } });
  });

  it('accepts a base64-encoded body', async () => {
    const response = await harness.call<{ api_key: ApiKeyWithValue }>('create-api-key', {
      organizationId: acme.id,
      body: { name: 'encoded' },
      base64: true,
    });
    expect(response.statusCode).toBe(201);
    expect(response.body.api_key.name).toBe('encoded');
  });

  it('records api_key.created for the admin, without the token', async () => {
    const org = await freshOrganization();
    const created = await harness.call<{ api_key: ApiKeyWithValue }>('create-api-key', {
      organizationId: org.id,
      body: { name: 'audited' },
    });
    const events = (await harness.keys.listAuditEvents(org.id, { limit: 10 })).items;
    expect(events[0]).toMatchObject({
      type: 'api_key.created',
      api_key_id: created.body.api_key.id,
      actor: { type: 'user', email: `admin@${org.id}.test` },
    });
    expect(JSON.stringify(events)).not.toContain(created.body.api_key.value);
  });

  it.each([
    ['an unknown resource', { permissions: { spaceship: ['read'] } }, 'permissions'],
    ['a bad mode', { permissions: { customer: ['delete'] } }, 'permissions'],
    ['empty permissions', { permissions: {} }, 'permissions'],
    ['a name over 100 characters', { name: 'n'.repeat(101) }, 'name'],
    ['an unknown field', { value: 'kw_mine' }, 'value'],
  ])('refuses %s with 422 validation_errors and creates nothing', async (_, body, field) => {
    const org = await freshOrganization();
    const before = { keys: await harness.listKeys(org.id), events: await harness.auditTypes(org.id) };
    const response = await harness.call('create-api-key', { organizationId: org.id, body });
    expect(response.statusCode).toBe(422);
    expect(response.body).toMatchObject({ status: 422, error: 'Unprocessable Entity', code: 'validation_errors' });
    expect(Object.keys(response.body.error_details as object)).toEqual([field]);
    expect(await harness.listKeys(org.id)).toEqual(before.keys);
    expect(await harness.auditTypes(org.id)).toEqual(before.events);
  });

  it.each(['null', '[]', '"ci"', '42', 'true'])('refuses the JSON body %s, which is not an object, and creates nothing', async (body) => {
    const org = await freshOrganization();
    const before = { keys: await harness.listKeys(org.id), events: await harness.auditTypes(org.id) };
    const response = await harness.call('create-api-key', { organizationId: org.id, body });
    expect(response).toMatchObject({
      statusCode: 422,
      body: { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: { body: ['must be a JSON object'] } },
    });
    expect(await harness.listKeys(org.id)).toEqual(before.keys);
    expect(await harness.auditTypes(org.id)).toEqual(before.events);
  });

  it.each(['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'])(
    'refuses a field named %s with a 422 naming it, and creates nothing',
    async (name) => {
      const org = await freshOrganization();
      const response = await harness.call('create-api-key', {
        organizationId: org.id,
        body: `{"name":"ci",${JSON.stringify(name)}:{"a":1}}`,
      });
      expect(response.statusCode).toBe(422);
      expect(JSON.stringify(response.body.error_details)).toBe(`{${JSON.stringify(name)}:["is not a known field"]}`);
      expect(await harness.listKeys(org.id)).toHaveLength(1);
    },
  );

  it('refuses a name that holds an API key, never echoing or storing it', async () => {
    const org = await freshOrganization();
    const name = `old key: ${org.firstKey.value}`;
    const response = await harness.call('create-api-key', { organizationId: org.id, body: { name } });
    expect(response).toMatchObject({ statusCode: 422, body: { error_details: { name: ['must not contain an API key'] } } });
    expect(JSON.stringify(response.body)).not.toContain(org.firstKey.value);
    expect(await harness.listKeys(org.id)).toHaveLength(1);
  });

  it('takes an empty (0-byte) body as {}: a key with default permissions', async () => {
    const org = await freshOrganization();
    const response = await harness.call<{ api_key: ApiKeyWithValue }>('create-api-key', { organizationId: org.id, body: '' });
    expect(response.statusCode).toBe(201);
    expect(response.body.api_key).toMatchObject({ name: null, permissions: defaultPermissions(DEFAULT_RESOURCE_CATALOG) });
  });

  it('answers 400 invalid_json for a body that is not JSON, and creates nothing', async () => {
    const org = await freshOrganization();
    const response = await harness.call('create-api-key', { organizationId: org.id, body: '{"name":' });
    expect(response).toMatchObject({ statusCode: 400, body: { status: 400, error: 'Bad Request', code: 'invalid_json' } });
    expect(await harness.listKeys(org.id)).toHaveLength(1);
  });

  it('answers 413 for a body over 16 KiB, and creates nothing', async () => {
    const org = await freshOrganization();
    const response = await harness.call('create-api-key', { organizationId: org.id, body: { name: 'x'.repeat(17 * 1024) } });
    expect(response).toMatchObject({ statusCode: 413, body: { status: 413, error: 'Payload Too Large', code: 'request_too_large' } });
    expect(await harness.listKeys(org.id)).toHaveLength(1);
  });

  it('refuses the 101st key with 422 api_key_limit_reached', async () => {
    const org = await freshOrganization();
    const actor = { type: 'user' as const, email: `admin@${org.id}.test` };
    for (let i = 1; i < MAX_KEYS_PER_ORGANIZATION; i++) await harness.keys.create(org.id, actor, { name: `k${i}` });
    const response = await harness.call('create-api-key', { organizationId: org.id, body: { name: 'one too many' } });
    expect(response).toMatchObject({
      statusCode: 422,
      body: { status: 422, error: 'Unprocessable Entity', code: 'api_key_limit_reached' },
    });
    expect(await harness.listKeys(org.id)).toHaveLength(MAX_KEYS_PER_ORGANIZATION);
  });
});

describe('GET …/api_keys (list)', () => {
  it('lists keys oldest first, without values', async () => {
    const org = await freshOrganization();
    await harness.call('create-api-key', { organizationId: org.id, body: { name: 'second' } });
    const response = await harness.call<KeyListBody>('list-api-keys', { organizationId: org.id });
    expect(response.statusCode).toBe(200);
    expect(response.body.meta).toEqual({ next_cursor: null });
    expect(response.body.api_keys.map((key) => key.name)).toEqual([null, 'second']);
    for (const key of response.body.api_keys) expect(Object.keys(key).sort()).toEqual(KEY_FIELDS);
  });

  it('pages with limit and cursor', async () => {
    const org = await freshOrganization();
    for (const name of ['b', 'c', 'd', 'e']) await harness.call('create-api-key', { organizationId: org.id, body: { name } });
    const names: (string | null)[] = [];
    let cursor: string | null | undefined;
    let pages = 0;
    do {
      const query: Record<string, string> = { limit: '2', ...(cursor ? { cursor } : {}) };
      const page = await harness.call<KeyListBody>('list-api-keys', { organizationId: org.id, query });
      expect(page.statusCode).toBe(200);
      expect(page.body.api_keys.length).toBeLessThanOrEqual(2);
      names.push(...page.body.api_keys.map((key) => key.name));
      cursor = page.body.meta.next_cursor;
      pages += 1;
    } while (cursor);
    expect(names).toEqual([null, 'b', 'c', 'd', 'e']);
    expect(pages).toBe(3);
  });

  it.each(['0', '101', 'all'])('refuses limit=%s with error_details.limit', async (limit) => {
    const response = await harness.call('list-api-keys', { organizationId: acme.id, query: { limit } });
    expect(response.statusCode).toBe(422);
    expect(response.body).toMatchObject({ code: 'validation_errors', error_details: { limit: ['must be an integer from 1 to 100'] } });
  });

  it('refuses a cursor it did not issue with error_details.cursor', async () => {
    const response = await harness.call('list-api-keys', { organizationId: acme.id, query: { cursor: 'bm90LWEtY3Vyc29y' } });
    expect(response.statusCode).toBe(422);
    expect(response.body).toMatchObject({ code: 'validation_errors', error_details: { cursor: expect.any(Array) } });
  });

  it("never shows another organization's keys", async () => {
    const response = await harness.call<KeyListBody>('list-api-keys', { organizationId: globex.id });
    expect(response.body.api_keys.every((key) => key.organization_id === 'globex')).toBe(true);
  });
});

describe('GET …/api_keys/{id}', () => {
  it('returns the key without its value', async () => {
    const response = await harness.call<{ api_key: ApiKeyView }>('get-api-key', { organizationId: acme.id, apiKeyId: acme.firstKey.id });
    expect(response.statusCode).toBe(200);
    expect(response.body.api_key).toEqual(
      expect.objectContaining({ id: acme.firstKey.id, organization_id: 'acme', masked_value: acme.firstKey.masked_value }),
    );
    expect(response.body.api_key).not.toHaveProperty('value');
    expect(JSON.stringify(response.body)).not.toContain(acme.firstKey.value);
  });

  it.each([
    ['an unknown id', () => '01JZZZZZZZZZZZZZZZZZZZZZZZ'],
    ['a malformed id', () => 'not/an-id'],
    ["another organization's key", () => globex.firstKey.id],
  ])('answers 404 api_key_not_found for %s', async (_, id) => {
    const response = await harness.call('get-api-key', { organizationId: acme.id, apiKeyId: id() });
    expect(response).toMatchObject({ statusCode: 404, body: notFound });
  });
});

describe('POST …/api_keys/{id}/reveal', () => {
  it('returns the token create returned, not cacheable, and records api_key.revealed', async () => {
    const org = await freshOrganization();
    const created = await harness.call<{ api_key: ApiKeyWithValue }>('create-api-key', {
      organizationId: org.id,
      body: { name: 'to reveal' },
    });
    const response = await harness.call<{ api_key: ApiKeyWithValue }>('reveal-api-key', {
      organizationId: org.id,
      apiKeyId: created.body.api_key.id,
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body.api_key).toEqual(created.body.api_key);
    const events = (await harness.keys.listAuditEvents(org.id, { limit: 10 })).items;
    expect(events[0]).toMatchObject({
      type: 'api_key.revealed',
      api_key_id: created.body.api_key.id,
      actor: { type: 'user', email: `admin@${org.id}.test` },
    });
    expect(JSON.stringify(events)).not.toContain(created.body.api_key.value);
  });

  it('reveals the operator-created first key', async () => {
    const response = await harness.call<{ api_key: ApiKeyWithValue }>('reveal-api-key', {
      organizationId: acme.id,
      apiKeyId: acme.firstKey.id,
    });
    expect(response.body.api_key.value).toBe(acme.firstKey.value);
  });

  it("answers 404 for another organization's key and records nothing", async () => {
    const before = await harness.auditTypes(globex.id);
    const response = await harness.call('reveal-api-key', { organizationId: acme.id, apiKeyId: globex.firstKey.id });
    expect(response).toMatchObject({ statusCode: 404, body: notFound });
    expect(await harness.auditTypes(globex.id)).toEqual(before);
  });
});

describe('PATCH …/api_keys/{id}', () => {
  async function keyToEdit() {
    const org = await freshOrganization();
    const created = await harness.call<{ api_key: ApiKeyWithValue }>('create-api-key', {
      organizationId: org.id,
      body: { name: 'original', permissions: { customer: ['read'] } },
    });
    return { org, key: created.body.api_key };
  }

  it('changes the name and leaves permissions alone', async () => {
    const { org, key } = await keyToEdit();
    const response = await harness.call<{ api_key: ApiKeyView }>('update-api-key', {
      organizationId: org.id,
      apiKeyId: key.id,
      body: { name: 'renamed' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body.api_key).toMatchObject({ id: key.id, name: 'renamed', permissions: { customer: ['read'] } });
    expect(response.body.api_key).not.toHaveProperty('value');
    expect((await harness.keys.get(org.id, key.id)).name).toBe('renamed');
  });

  it('changes permissions, leaves the name alone, and the authorizer sees it on the next read', async () => {
    const { org, key } = await keyToEdit();
    const response = await harness.call<{ api_key: ApiKeyView }>('update-api-key', {
      organizationId: org.id,
      apiKeyId: key.id,
      body: { permissions: { invoice: ['read', 'write'] } },
    });
    expect(response.body.api_key).toMatchObject({ name: 'original', permissions: { invoice: ['read', 'write'] } });
    expect((await harness.store.findByHash(hashToken(key.value)))?.permissions).toEqual({ invoice: ['read', 'write'] });
    expect((await harness.auditTypes(org.id))[0]).toBe('api_key.updated');
  });

  it('clears the name with an empty string', async () => {
    const { org, key } = await keyToEdit();
    const response = await harness.call<{ api_key: ApiKeyView }>('update-api-key', {
      organizationId: org.id,
      apiKeyId: key.id,
      body: { name: '' },
    });
    expect(response.body.api_key.name).toBeNull();
  });

  it('refuses an invalid change with 422 and changes nothing', async () => {
    const { org, key } = await keyToEdit();
    const before = { key: await harness.keys.get(org.id, key.id), events: await harness.auditTypes(org.id) };
    const response = await harness.call('update-api-key', {
      organizationId: org.id,
      apiKeyId: key.id,
      body: { name: 'valid', permissions: { customer: ['admin'] } },
    });
    expect(response.statusCode).toBe(422);
    expect(response.body).toMatchObject({ code: 'validation_errors', error_details: { permissions: expect.any(Array) } });
    expect(await harness.keys.get(org.id, key.id)).toEqual(before.key);
    expect(await harness.auditTypes(org.id)).toEqual(before.events);
  });

  it.each(['', '{}'])('changes nothing for the body %p and answers the key as it is', async (body) => {
    const { org, key } = await keyToEdit();
    const before = { key: await harness.keys.get(org.id, key.id), events: await harness.auditTypes(org.id) };
    const response = await harness.call<{ api_key: ApiKeyView }>('update-api-key', { organizationId: org.id, apiKeyId: key.id, body });
    expect(response.statusCode).toBe(200);
    const { version, ...view } = before.key;
    expect(response.body.api_key).toEqual(view);
    expect(response.headers.etag).toBe(`"${version}"`);
    expect(await harness.keys.get(org.id, key.id)).toEqual(before.key);
    expect(await harness.auditTypes(org.id)).toEqual(before.events);
  });

  it('refuses null, which would otherwise read as "no change", with 422', async () => {
    const { org, key } = await keyToEdit();
    const response = await harness.call('update-api-key', { organizationId: org.id, apiKeyId: key.id, body: 'null' });
    expect(response).toMatchObject({ statusCode: 422, body: { error_details: { body: ['must be a JSON object'] } } });
  });

  it('refuses a __proto__ resource next to a known one instead of dropping it, and changes nothing', async () => {
    const { org, key } = await keyToEdit();
    const before = await harness.keys.get(org.id, key.id);
    const response = await harness.call('update-api-key', {
      organizationId: org.id,
      apiKeyId: key.id,
      body: '{"permissions":{"invoice":["read"],"__proto__":["write"]}}',
    });
    expect(response).toMatchObject({ statusCode: 422, body: { error_details: { permissions: ['__proto__: is not a known resource'] } } });
    expect(await harness.keys.get(org.id, key.id)).toEqual(before);
  });

  it('answers 400 invalid_json', async () => {
    const { org, key } = await keyToEdit();
    const response = await harness.call('update-api-key', { organizationId: org.id, apiKeyId: key.id, body: 'name=x' });
    expect(response).toMatchObject({ statusCode: 400, body: { code: 'invalid_json' } });
  });

  it("answers 404 for another organization's key", async () => {
    const response = await harness.call('update-api-key', {
      organizationId: acme.id,
      apiKeyId: globex.firstKey.id,
      body: { name: 'stolen' },
    });
    expect(response).toMatchObject({ statusCode: 404, body: notFound });
    expect((await harness.keys.get(globex.id, globex.firstKey.id)).name).toBeNull();
  });
});

describe('DELETE …/api_keys/{id}', () => {
  it('deletes a key at once: it leaves the list, stops resolving, and answers 404 afterwards', async () => {
    const org = await freshOrganization();
    const created = await harness.call<{ api_key: ApiKeyWithValue }>('create-api-key', {
      organizationId: org.id,
      body: { name: 'doomed' },
    });
    const key = created.body.api_key;
    const response = await harness.call<{ api_key: ApiKeyView }>('delete-api-key', { organizationId: org.id, apiKeyId: key.id });
    expect(response.statusCode).toBe(200);
    const { value: _value, ...view } = key;
    expect(response.body.api_key).toEqual(view);
    expect((await harness.listKeys(org.id)).map((k) => k.id)).toEqual([org.firstKey.id]);
    expect(await harness.store.findByHash(hashToken(key.value))).toBeUndefined();
    expect((await harness.auditTypes(org.id))[0]).toBe('api_key.deleted');
    for (const entry of ['get-api-key', 'reveal-api-key', 'delete-api-key'] as const) {
      expect(await harness.call(entry, { organizationId: org.id, apiKeyId: key.id })).toMatchObject({ statusCode: 404, body: notFound });
    }
  });

  it('refuses to delete the last non-expiring key with 422 last_non_expiring_api_key', async () => {
    const org = await freshOrganization();
    const response = await harness.call('delete-api-key', { organizationId: org.id, apiKeyId: org.firstKey.id });
    expect(response).toMatchObject({
      statusCode: 422,
      body: { status: 422, error: 'Unprocessable Entity', code: 'last_non_expiring_api_key' },
    });
    expect(await harness.listKeys(org.id)).toHaveLength(1);
    expect(await harness.store.findByHash(hashToken(org.firstKey.value))).toBeDefined();
  });

  it("answers 404 for another organization's key and leaves it alone", async () => {
    await harness.call('create-api-key', { organizationId: globex.id, body: { name: 'spare' } });
    const response = await harness.call('delete-api-key', { organizationId: acme.id, apiKeyId: globex.firstKey.id });
    expect(response).toMatchObject({ statusCode: 404, body: notFound });
    expect(await harness.keys.get(globex.id, globex.firstKey.id)).toBeDefined();
  });
});
