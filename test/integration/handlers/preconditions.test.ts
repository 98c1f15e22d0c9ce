import { readdirSync } from 'node:fs';
import type { ApiKeyView, ApiKeyWithValue } from '../../../lambdas/domain/api-key';
import { HandlerHarness, type SeededOrganization } from './harness';

/** API.md §3 "Concurrent changes": ETag on every single-key response, If-Match → 412 changing nothing. */
let harness: HandlerHarness;
let org: SeededOrganization;

beforeAll(async () => {
  harness = await HandlerHarness.start();
  org = await harness.seedOrganization('etag');
});
afterAll(() => harness.stop());

const PRECONDITION_FAILED = { status: 412, error: 'Precondition Failed', code: 'precondition_failed' };

async function createKey(body: Record<string, unknown> = { name: 'guarded', permissions: { customer: ['read', 'write'] } }) {
  const created = await harness.call<{ api_key: ApiKeyWithValue }>('create-api-key', { organizationId: org.id, body });
  return { key: created.body.api_key, etag: created.headers.etag! };
}

/** Everything a rejected request must leave as it was: the key, the audit trail, the retirement jobs. */
async function snapshot(apiKeyId: string) {
  return {
    key: await harness.store.getKey(org.id, apiKeyId),
    keys: await harness.listKeys(org.id),
    events: (await harness.keys.listAuditEvents(org.id, { limit: 100 })).items,
    jobs: readdirSync(process.env.LOCAL_SCHEDULE_DIR!).sort(),
  };
}

describe('ETag', () => {
  it('comes with every response that returns one key, and changes with every change to it', async () => {
    const { key, etag } = await createKey();
    expect(etag).toBe('"1"');
    const target = { organizationId: org.id, apiKeyId: key.id };

    expect((await harness.call('get-api-key', target)).headers.etag).toBe('"1"');
    expect((await harness.call('reveal-api-key', target)).headers.etag).toBe('"1"');
    const renamed = await harness.call('update-api-key', { ...target, body: { name: 'renamed' } });
    expect(renamed.headers.etag).toBe('"2"');
    const unchanged = await harness.call('update-api-key', { ...target, body: { name: 'renamed' } });
    expect(unchanged.headers.etag).toBe('"2"');

    const rotated = await harness.call<{ api_key: ApiKeyWithValue; rotated_api_key: ApiKeyView }>('rotate-api-key', {
      ...target,
      body: { expires_in: '1h' },
    });
    expect(rotated.statusCode).toBe(200);
    expect(rotated.headers.etag).toBe('"1"');
    expect((await harness.call('get-api-key', { organizationId: org.id, apiKeyId: rotated.body.api_key.id })).headers.etag).toBe('"1"');
    expect((await harness.call('get-api-key', target)).headers.etag).toBe('"3"');

    const deleted = await harness.call('delete-api-key', target);
    expect(deleted).toMatchObject({ statusCode: 200, headers: { etag: '"3"' } });
    expect(deleted.body.api_key).not.toHaveProperty('version');
  });

  it('is absent from the list, which returns many keys', async () => {
    expect((await harness.call('list-api-keys', { organizationId: org.id })).headers.etag).toBeUndefined();
  });
});

describe('If-Match', () => {
  it.each([
    ['PATCH', 'update-api-key', { name: 'lost' }],
    ['scheduled rotate', 'rotate-api-key', { expires_in: '24h' }],
    ['instant rotate', 'rotate-api-key', { expires_in: 'now' }],
    ['DELETE', 'delete-api-key', undefined],
  ] as const)('%s with a stale version answers 412 and changes nothing: key, audit events, retirement jobs', async (_, entry, body) => {
    const { key, etag } = await createKey();
    await harness.call('update-api-key', { organizationId: org.id, apiKeyId: key.id, body: { name: 'changed meanwhile' } });
    const before = await snapshot(key.id);

    const response = await harness.call(entry, { organizationId: org.id, apiKeyId: key.id, body, headers: { 'If-Match': etag } });

    expect(response).toMatchObject({ statusCode: 412, body: PRECONDITION_FAILED });
    expect(response.body).toEqual(PRECONDITION_FAILED);
    expect(await snapshot(key.id)).toEqual(before);
  });

  it('lets a PATCH with the current version through, with the next version as ETag', async () => {
    const { key, etag } = await createKey();
    const response = await harness.call<{ api_key: ApiKeyView }>('update-api-key', {
      organizationId: org.id,
      apiKeyId: key.id,
      body: { permissions: { customer: ['read'] } },
      headers: { 'If-Match': etag },
    });
    expect(response).toMatchObject({ statusCode: 200, headers: { etag: '"2"' } });
    expect(response.body.api_key.permissions).toEqual({ customer: ['read'] });
    expect(await harness.store.getKey(org.id, key.id)).toMatchObject({ version: 2, permissions: { customer: ['read'] } });
  });

  it('lets a rotate with the current version through: a job for the old key, the new key’s ETag', async () => {
    const { key, etag } = await createKey();
    const jobsBefore = readdirSync(process.env.LOCAL_SCHEDULE_DIR!).length;
    const response = await harness.call<{ api_key: ApiKeyWithValue }>('rotate-api-key', {
      organizationId: org.id,
      apiKeyId: key.id,
      body: { expires_in: '1h' },
      headers: { 'If-Match': `"7", ${etag}` },
    });
    expect(response).toMatchObject({ statusCode: 200, headers: { etag: '"1"' } });
    expect(readdirSync(process.env.LOCAL_SCHEDULE_DIR!)).toHaveLength(jobsBefore + 1);
  });

  it('lets a DELETE with the current version through, and removes the jobs of a pending rotation with the key', async () => {
    const { key } = await createKey();
    const jobs = () => readdirSync(process.env.LOCAL_SCHEDULE_DIR!).filter((file) => file.includes(key.id));
    await harness.call('rotate-api-key', { organizationId: org.id, apiKeyId: key.id, body: { expires_in: '7d' } });
    // The retirement, and the reminder of the default 1-day mark (the 7-day mark is not ahead).
    expect(
      jobs()
        .map((file) => file.split('-')[0])
        .sort(),
    ).toEqual(['remind', 'retire']);
    const current = (await harness.call('get-api-key', { organizationId: org.id, apiKeyId: key.id })).headers.etag!;

    const response = await harness.call('delete-api-key', { organizationId: org.id, apiKeyId: key.id, headers: { 'If-Match': current } });

    expect(response).toMatchObject({ statusCode: 200, headers: { etag: current } });
    expect(await harness.store.getKey(org.id, key.id)).toBeUndefined();
    expect(jobs()).toEqual([]);
  });

  it('treats * as no precondition and a weak tag as never matching', async () => {
    const { key, etag } = await createKey();
    const target = { organizationId: org.id, apiKeyId: key.id };
    const weak = await harness.call('update-api-key', { ...target, body: { name: 'weak' }, headers: { 'If-Match': `W/${etag}` } });
    expect(weak).toMatchObject({ statusCode: 412, body: PRECONDITION_FAILED });
    const any = await harness.call('update-api-key', { ...target, body: { name: 'any' }, headers: { 'If-Match': '*' } });
    expect(any).toMatchObject({ statusCode: 200, headers: { etag: '"2"' } });
  });

  it('refuses a malformed If-Match with 422 naming the header, and changes nothing', async () => {
    const { key } = await createKey();
    const before = await snapshot(key.id);
    for (const [entry, body] of [
      ['update-api-key', { name: 'x' }],
      ['rotate-api-key', { expires_in: '1h' }],
      ['delete-api-key', undefined],
    ] as const) {
      const response = await harness.call(entry, { organizationId: org.id, apiKeyId: key.id, body, headers: { 'If-Match': '1' } });
      expect({ entry, status: response.statusCode, body: response.body }).toEqual({
        entry,
        status: 422,
        body: {
          status: 422,
          error: 'Unprocessable Entity',
          code: 'validation_errors',
          error_details: { 'If-Match': ['must be * or one or more quoted ETags, e.g. "3"'] },
        },
      });
    }
    expect(await snapshot(key.id)).toEqual(before);
  });

  it('answers 404, not 412, for a key that does not exist', async () => {
    const response = await harness.call('update-api-key', {
      organizationId: org.id,
      apiKeyId: '01ZZZZZZZZZZZZZZZZZZZZZZZZ',
      body: { name: 'x' },
      headers: { 'If-Match': '"1"' },
    });
    expect(response).toMatchObject({ statusCode: 404, body: { code: 'api_key_not_found' } });
  });

  it('lets exactly one of two PATCHes sent with the same version win; the other gets 412', async () => {
    for (let trial = 0; trial < 10; trial++) {
      const { key, etag } = await createKey();
      const target = { organizationId: org.id, apiKeyId: key.id, headers: { 'If-Match': etag } };
      const replies = await Promise.all([
        harness.call('update-api-key', { ...target, body: { name: 'first' } }),
        harness.call('update-api-key', { ...target, body: { permissions: { invoice: ['read'] } } }),
      ]);
      expect(replies.map((reply) => reply.statusCode).sort()).toEqual([200, 412]);
      expect(await harness.store.getKey(org.id, key.id)).toMatchObject({ version: 2 });
      expect((await harness.keys.listAuditEvents(org.id, { limit: 1 })).items[0]).toMatchObject({
        type: 'api_key.updated',
        api_key_id: key.id,
      });
    }
  });
});
