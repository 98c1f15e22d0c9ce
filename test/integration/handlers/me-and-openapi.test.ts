import { DEFAULT_RESOURCE_CATALOG } from '../../../lambdas/domain/permissions';
import { HandlerHarness, type SeededOrganization, type SuccessBody } from './harness';

let harness: HandlerHarness;
let acme: SeededOrganization;

beforeAll(async () => {
  harness = await HandlerHarness.start();
  acme = await harness.seedOrganization('acme');
  await harness.seedOrganization('globex');
  await harness.orgs.addMember('globex', acme.admin.email!, 'member');
});
afterAll(() => harness.stop());

describe('GET /v1/me', () => {
  it("answers the caller's email and organizations, whatever the authorizer found for the (absent) organization", async () => {
    for (const role of ['none', 'admin', 'member']) {
      const reply = await harness.call<SuccessBody<'get-me'>>('get-me', { as: { email: 'Admin@Acme.test', role } });
      expect(reply).toMatchObject({
        statusCode: 200,
        body: {
          email: 'admin@acme.test',
          organizations: [
            { id: 'acme', name: 'Org acme', role: 'admin' },
            { id: 'globex', name: 'Org globex', role: 'member' },
          ],
        },
      });
    }
  });

  it('answers a verified caller who belongs nowhere with no organizations', async () => {
    const reply = await harness.call('get-me', { as: { email: 'nobody@elsewhere.test', role: 'none' } });
    expect(reply).toMatchObject({ statusCode: 200, body: { email: 'nobody@elsewhere.test', organizations: [] } });
  });

  it.each([
    ['no authorizer context', null],
    ['no email', { role: 'none' }],
    ['a role the authorizer never gives', { email: 'admin@acme.test', role: 'owner' }],
  ])('answers the bare 401 for %s', async (_, as) => {
    expect(await harness.call('get-me', { as })).toMatchObject({ statusCode: 401, body: { status: 401, error: 'Unauthorized' } });
  });
});

describe('GET /openapi.json', () => {
  it("answers without any caller, with the deployment's permission catalog", async () => {
    const reply = await harness.call<{
      openapi: string;
      components: { schemas: { ApiKeyFields: { properties: { permissions: { properties: object } } } } };
    }>('get-openapi', { as: null });
    expect(reply.statusCode).toBe(200);
    expect(reply.body.openapi).toBe('3.1.0');
    expect(Object.keys(reply.body.components.schemas.ApiKeyFields.properties.permissions.properties)).toEqual([
      ...DEFAULT_RESOURCE_CATALOG,
    ]);
  });
});
