import { PROTOTYPE_NAMES } from '../integration/handlers/fuzz-requests';
import { mintJwt, stack, UNAUTHORIZED } from './support';

/**
 * Query parameter and header names that every plain object inherits (`__proto__`, `constructor`,
 * `toString`, …) are names like any other, on both APIs of the local gateway (issue 16 item 3:
 * `GET /v1/customers?__proto__=1` answered 500, a `constructor: x` header 500, and
 * `/openapi.json?toString=1` 502, without authentication). Over HTTP against the running stack.
 */

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${stack.url}${path}`, { headers });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

describe('prototype-named query parameters and headers (issue 16 item 3)', () => {
  it('GET /v1/customers?__proto__=1 without a key is 401', async () => {
    expect(await get('/v1/customers?__proto__=1')).toEqual({ status: 401, body: UNAUTHORIZED });
  });

  it('a `constructor: x` header without credentials is 401 on both APIs', async () => {
    expect(await get('/v1/customers', { constructor: 'x' })).toEqual({ status: 401, body: UNAUTHORIZED });
    expect(await get(`/v1/organizations/${stack.demoOrganizationId}/api_keys`, { constructor: 'x' })).toEqual({
      status: 401,
      body: UNAUTHORIZED,
    });
  });

  it('GET /openapi.json?toString=1 is the document', async () => {
    const reply = await get('/openapi.json?toString=1');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ openapi: expect.any(String) });
  });

  it.each(PROTOTYPE_NAMES)('%s as a query name and a header name, repeated, is served as any other name', async (name) => {
    const query = `?${encodeURIComponent(name)}=1&${encodeURIComponent(name)}=2`;
    const header = /^[A-Za-z_]+$/.test(name) ? { [name]: 'x' } : {};
    // Public, management with an admin, protected with a key: each answers as without the name.
    expect((await get(`/openapi.json${query}`, header)).status).toBe(200);
    const jwt = await mintJwt({ email: 'admin@demo.test' });
    const keys = await get(`/v1/organizations/${stack.demoOrganizationId}/api_keys${query}`, { ...header, authorization: `Bearer ${jwt}` });
    expect(keys.status).toBe(200);
    const customers = await get(`/v1/customers${query}`, { ...header, 'x-api-key': stack.demoKey });
    expect(customers).toEqual({ status: 200, body: expect.objectContaining({ api_key_id: stack.demoKeyId, resource: 'customer' }) });
    expect((await get(`/v1/customers${query}`, header)).status).toBe(401);
  });
});
