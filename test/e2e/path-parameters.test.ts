import { admin, mintJwt, stack } from './support';

/**
 * API Gateway REST passes path parameters as sent, still percent-encoded; the admin authorizer and
 * the handlers decode them (issue 15 item 5), so an encoded path names what the plain one names.
 */
describe('percent-encoded path parameters', () => {
  it('name the same organization and key as plain ones, for the authorizer and the handler alike', async () => {
    const jwt = await mintJwt({ email: 'admin@demo.test' });
    const encodedOrg = [...stack.demoOrganizationId].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join('');
    const plain = await admin('GET', `/v1/organizations/${stack.demoOrganizationId}/api_keys/${stack.demoKeyId}`, { jwt });
    expect(plain.status).toBe(200);
    const encoded = await admin('GET', `/v1/organizations/${encodedOrg}/api_keys/${stack.demoKeyId}`, { jwt });
    expect(encoded).toMatchObject({ status: 200, body: { api_key: { id: stack.demoKeyId } } });
  });
});
