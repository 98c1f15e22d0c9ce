import { DEFAULT_RESOURCE_CATALOG } from '../../lambdas/domain/permissions';
import { admin, expectDocumented, newOrganization } from './support';

describe('GET /openapi.json', () => {
  it("serves, without a JWT, the management API's description with the deployment's permission catalog", async () => {
    const reply = await admin('GET', '/openapi.json');
    expect(reply.status).toBe(200);
    expect(reply.body.openapi).toBe('3.1.0');
    expect(Object.keys(reply.body.paths)).toEqual(expect.arrayContaining(['/v1/me', '/openapi.json']));
    expect(Object.keys(reply.body.components.schemas.ApiKeyFields.properties.permissions.properties)).toEqual([
      ...DEFAULT_RESOURCE_CATALOG,
    ]);
  });

  it('is what every e2e answer is checked against, and the check refuses an answer the document does not describe', async () => {
    const org = await newOrganization('documented');
    const reply = await admin('GET', `${org.keysPath}/${org.keyId}`, { jwt: org.jwt });
    await expect(expectDocumented('GET', `${org.keysPath}/${org.keyId}`, reply)).resolves.toBeUndefined();

    const withExtraField = { ...reply, body: { api_key: { ...reply.body.api_key, version: 1 } } };
    await expect(expectDocumented('GET', `${org.keysPath}/${org.keyId}`, withExtraField)).rejects.toThrow(
      /must NOT have additional properties/,
    );
    const withoutEtag = { ...reply, headers: new Headers({ 'content-type': 'application/json' }) };
    await expect(expectDocumented('GET', `${org.keysPath}/${org.keyId}`, withoutEtag)).rejects.toThrow(/the ETag header is missing/);
    const undocumentedStatus = { ...reply, status: 418 };
    await expect(expectDocumented('GET', `${org.keysPath}/${org.keyId}`, undocumentedStatus)).rejects.toThrow(
      /does not document status 418/,
    );
    // A route the document does not have must be the gateway's route_not_found.
    const unknown = await admin('PUT', org.keysPath, { jwt: org.jwt });
    expect(unknown).toMatchObject({ status: 404, body: { code: 'route_not_found' } });
  });
});
